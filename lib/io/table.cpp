#include "io/table.hpp"

#include "core/error.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <exception>
#include <istream>
#include <ostream>

namespace flowkit::io {

namespace {

constexpr std::size_t flush_threshold = 1 << 16;

std::string shown_name(const std::string& source) { return source == "-" ? "<stdin>" : source; }

bool is_blank_or_comment(const std::string& line)
{
    const auto first = line.find_first_not_of(" \t");
    return first == std::string::npos || line[first] == '#';
}

std::string trim(const std::string& s)
{
    const auto a = s.find_first_not_of(" \t");
    if (a == std::string::npos)
        return {};
    const auto b = s.find_last_not_of(" \t");
    return s.substr(a, b - a + 1);
}

/// Splits a CSV line on commas, honouring double quotes; `starts` gets the 1-based character
/// column of each field.
std::vector<std::string> split_csv(const std::string& line, std::vector<long>& starts)
{
    std::vector<std::string> fields;
    starts.clear();
    std::string field;
    bool quoted = false;
    starts.push_back(1);
    for (std::size_t i = 0; i < line.size(); ++i) {
        const char c = line[i];
        if (quoted) {
            if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
                field += '"';
                ++i;
            } else if (c == '"') {
                quoted = false;
            } else {
                field += c;
            }
        } else if (c == '"') {
            quoted = true;
        } else if (c == ',') {
            fields.push_back(trim(field));
            field.clear();
            starts.push_back(static_cast<long>(i) + 2);
        } else {
            field += c;
        }
    }
    fields.push_back(trim(field));
    return fields;
}

/// Parses a whole field as a finite double; false if it is not one.
bool parse_number(const char* first, const char* last, double& v)
{
    while (first < last && (*first == ' ' || *first == '\t'))
        ++first;
    while (last > first && (last[-1] == ' ' || last[-1] == '\t'))
        --last;
    if (first < last && *first == '+')
        ++first;
    if (first == last)
        return false;
    const auto [end, ec] = std::from_chars(first, last, v);
    return ec == std::errc() && end == last && std::isfinite(v);
}

} // namespace

Format parse_format(const std::string& name)
{
    if (name == "csv")
        return Format::csv;
    if (name == "jsonl")
        return Format::jsonl;
    throw UsageError("--format must be csv or jsonl (got '" + name + "')");
}

TableReader::TableReader(std::istream& in, const std::string& source)
    : m_in(in), m_source(shown_name(source))
{
    std::string line;
    while (read_line(line)) {
        if (is_blank_or_comment(line))
            continue;
        m_header_line = m_line;
        if (line[line.find_first_not_of(" \t")] == '{') {
            m_format = Format::jsonl;
            nlohmann::ordered_json obj;
            try {
                obj = nlohmann::ordered_json::parse(line);
            } catch (const nlohmann::json::parse_error& e) {
                throw DataError("malformed JSON", m_source, m_line, static_cast<long>(e.byte));
            } catch (const nlohmann::json::exception&) {
                throw DataError("malformed JSON: a number out of range", m_source, m_line);
            }
            if (!obj.is_object())
                throw DataError("a JSON Lines row must be an object", m_source, m_line, 1);
            for (const auto& item : obj.items())
                m_columns.push_back(item.key());
            m_pending = line;
        } else {
            m_columns = split_csv(line, m_field_start);
        }
        for (std::size_t j = 0; j < m_columns.size(); ++j) {
            if (m_columns[j].empty())
                throw DataError("empty column name", m_source, m_line,
                                m_format == Format::csv ? m_field_start[j] : 0);
            for (std::size_t k = 0; k < j; ++k)
                if (m_columns[k] == m_columns[j])
                    throw DataError("duplicate column '" + m_columns[j] + "'", m_source, m_line);
        }
        return;
    }
    throw DataError("no header: the input is empty", m_source);
}

bool TableReader::read_line(std::string& line)
{
    if (!std::getline(m_in, line))
        return false;
    ++m_line;
    if (!line.empty() && line.back() == '\r')
        line.pop_back();
    return true;
}

std::optional<Index> TableReader::find(const std::string& name) const
{
    for (std::size_t j = 0; j < m_columns.size(); ++j)
        if (m_columns[j] == name)
            return static_cast<Index>(j);
    return std::nullopt;
}

Index TableReader::require(const std::string& name) const
{
    if (auto j = find(name))
        return *j;
    throw DataError("missing required column '" + name + "'", m_source, m_header_line);
}

void TableReader::require_named(const std::vector<std::string>& names,
                                const std::string& option) const
{
    for (const std::string& name : names)
        if (!find(name)) {
            std::string columns;
            for (const std::string& c : m_columns)
                columns += (columns.empty() ? "" : ", ") + c;
            throw UsageError(option + ": no column '" + name + "' in " + m_source + " (columns: " +
                             columns + ")");
        }
}

void TableReader::fail(const std::string& what, Index column) const
{
    long col = 0;
    if (m_format == Format::csv && column >= 0 && column < static_cast<Index>(m_field_start.size()))
        col = m_field_start[column];
    std::string named = what;
    if (column >= 0 && column < static_cast<Index>(m_columns.size()))
        named += " in column '" + m_columns[column] + "'";
    throw DataError(named, m_source, m_line, col);
}

bool TableReader::next(std::vector<double>& row)
{
    row.resize(m_columns.size());
    if (!m_pending.empty()) {
        // The first JSON Lines object is both the header and the first row.
        const std::string line = std::move(m_pending);
        m_pending.clear();
        parse_jsonl_row(line, row);
        return true;
    }
    while (read_line(m_buffer)) {
        if (is_blank_or_comment(m_buffer))
            continue;
        if (m_format == Format::csv)
            parse_csv_row(m_buffer, row);
        else
            parse_jsonl_row(m_buffer, row);
        return true;
    }
    return false;
}

void TableReader::parse_csv_row(const std::string& line, std::vector<double>& row)
{
    const std::size_t ncol = m_columns.size();
    m_field_start.assign(1, 1);
    const char* p = line.data();
    const char* end = p + line.size();
    std::size_t j = 0;
    while (true) {
        const char* comma = std::find(p, end, ',');
        if (j >= ncol)
            throw DataError("too many fields: expected " + std::to_string(ncol), m_source, m_line,
                            static_cast<long>(p - line.data()) + 1);
        if (!parse_number(p, comma, row[j]))
            fail("not a finite number: '" + trim(std::string(p, comma)) + "'", static_cast<Index>(j));
        ++j;
        if (comma == end)
            break;
        p = comma + 1;
        m_field_start.push_back(static_cast<long>(p - line.data()) + 1);
    }
    if (j != ncol)
        throw DataError("too few fields: expected " + std::to_string(ncol) + ", got " +
                            std::to_string(j),
                        m_source, m_line, static_cast<long>(line.size()) + 1);
}

void TableReader::parse_jsonl_row(const std::string& line, std::vector<double>& row)
{
    nlohmann::json obj;
    try {
        obj = nlohmann::json::parse(line);
    } catch (const nlohmann::json::parse_error& e) {
        throw DataError("malformed JSON", m_source, m_line, static_cast<long>(e.byte));
    } catch (const nlohmann::json::exception&) { // e.g. a number out of the range of double
        throw DataError("malformed JSON: a number out of range", m_source, m_line);
    }
    if (!obj.is_object())
        throw DataError("a JSON Lines row must be an object", m_source, m_line, 1);
    if (obj.size() != m_columns.size())
        throw DataError("expected the " + std::to_string(m_columns.size()) +
                            " keys of the first row, got " + std::to_string(obj.size()),
                        m_source, m_line);
    for (std::size_t j = 0; j < m_columns.size(); ++j) {
        const auto it = obj.find(m_columns[j]);
        if (it == obj.end())
            fail("missing key", static_cast<Index>(j));
        if (!it->is_number() || !std::isfinite(it->get<double>()))
            fail("not a finite number: " + it->dump(), static_cast<Index>(j));
        row[j] = it->get<double>();
    }
}

bool is_reserved_column(const std::string& name)
{
    static const char* const reserved[] = {"traj", "t", "H", "H_err", "H_N", "logp"};
    return std::find(std::begin(reserved), std::end(reserved), name) != std::end(reserved);
}

Mat read_rows(TableReader& reader)
{
    std::vector<double> row, all;
    Index n = 0;
    while (reader.next(row)) {
        all.insert(all.end(), row.begin(), row.end());
        ++n;
    }
    const Index ncol = static_cast<Index>(reader.columns().size());
    return Eigen::Map<RowMajorMat>(all.data(), n, ncol);
}

std::string format_number(double v)
{
    char buf[32];
    const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    (void)ec;
    return std::string(buf, end);
}

TableWriter::TableWriter(std::ostream& out, std::vector<std::string> columns, Format format,
                         const std::vector<std::string>& comments)
    : m_out(out), m_columns(std::move(columns)), m_format(format),
      m_uncaught(std::uncaught_exceptions())
{
    for (const auto& c : comments)
        m_buf += "# " + c + "\n";
    if (m_format == Format::csv) {
        for (std::size_t j = 0; j < m_columns.size(); ++j)
            m_buf += (j ? "," : "") + m_columns[j];
        m_buf += '\n';
    } else {
        for (const auto& c : m_columns)
            m_json_keys.push_back(nlohmann::json(c).dump() + ":");
    }
}

TableWriter::~TableWriter()
{
    // An error before the first row (a missing column, say) leaves no header on standard output;
    // after rows, what is buffered still goes out, so that a diverged run shows all it computed.
    const bool failing = std::uncaught_exceptions() > m_uncaught;
    if (!m_buf.empty() && !(failing && m_rows == 0))
        m_out.write(m_buf.data(), static_cast<std::streamsize>(m_buf.size()));
}

void TableWriter::append_number(double v)
{
    char buf[32];
    const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    (void)ec;
    m_buf.append(buf, end);
}

void TableWriter::row(const double* values)
{
    ++m_rows;
    const std::size_t n = m_columns.size();
    if (m_format == Format::csv) {
        for (std::size_t j = 0; j < n; ++j) {
            if (j)
                m_buf += ',';
            append_number(values[j]);
        }
    } else {
        m_buf += '{';
        for (std::size_t j = 0; j < n; ++j) {
            if (j)
                m_buf += ',';
            m_buf += m_json_keys[j];
            if (std::isfinite(values[j]))
                append_number(values[j]);
            else
                m_buf += "null"; // JSON has no NaN or Inf
        }
        m_buf += '}';
    }
    m_buf += '\n';
    if (m_buf.size() > flush_threshold)
        flush();
}

void TableWriter::flush()
{
    m_out.write(m_buf.data(), static_cast<std::streamsize>(m_buf.size()));
    m_buf.clear();
    m_out.flush();
    if (!m_out)
        throw OutputError("write error");
}

} // namespace flowkit::io
