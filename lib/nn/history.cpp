#include "nn/history.hpp"

#include "core/error.hpp"
#include "io/table.hpp"

#include <cstdlib>
#include <stdexcept>

namespace flowkit::nn {

namespace {

std::string join(const std::vector<std::string>& columns)
{
    std::string line;
    for (const std::string& c : columns)
        line += (line.empty() ? "" : ",") + c;
    return line;
}

/// The rows of `path` to keep when resuming at `epoch` (header checked), or nothing if the file
/// does not exist.
std::vector<std::string> kept_rows(const std::string& path, const std::string& header, long epoch)
{
    std::ifstream in(path);
    std::vector<std::string> rows;
    if (!in)
        return rows;
    std::string line;
    if (!std::getline(in, line))
        return rows;
    if (line != header)
        throw DataError("the history file's header is '" + line + "', not '" + header +
                            "': give another --history file to resume",
                        path, 1);
    while (std::getline(in, line)) {
        // The epoch is the first field; rows after the resumed epoch are dropped.
        if (std::strtol(line.c_str(), nullptr, 10) > epoch)
            break;
        rows.push_back(line);
    }
    return rows;
}

} // namespace

History::History(const std::string& path, std::vector<std::string> columns, long resumed_epoch)
    : m_path(path), m_columns(columns.size())
{
    if (columns.empty() || columns.front() != "epoch")
        throw std::invalid_argument("nn::History: the first column must be 'epoch'");
    if (path.empty())
        return;
    const std::string header = join(columns);
    const std::vector<std::string> rows =
        resumed_epoch > 0 ? kept_rows(path, header, resumed_epoch) : std::vector<std::string>{};
    m_out.open(path, std::ios::trunc);
    if (!m_out)
        throw OutputError("cannot write the history '" + path + "'");
    m_out << header << '\n';
    for (const std::string& row : rows)
        m_out << row << '\n';
    m_out.flush();
}

void History::write(long epoch, const std::vector<double>& values)
{
    if (!m_out.is_open())
        return;
    if (values.size() + 1 != m_columns)
        throw std::invalid_argument("nn::History: " + std::to_string(values.size() + 1) +
                                    " fields for " + std::to_string(m_columns) + " columns");
    m_out << epoch;
    for (double v : values)
        m_out << ',' << io::format_number(v);
    m_out << '\n';
    m_out.flush();
    if (!m_out)
        throw OutputError("cannot write the history '" + m_path + "'");
}

} // namespace flowkit::nn
