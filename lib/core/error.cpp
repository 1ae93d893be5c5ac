#include "core/error.hpp"

#include <charconv>

namespace flowkit {

namespace {

std::string located(const std::string& what, const std::string& file, long line, long column)
{
    std::string where = file;
    if (line > 0)
        where += ":" + std::to_string(line);
    if (column > 0)
        where += ":" + std::to_string(column);
    return where.empty() ? what : what + " (" + where + ")";
}

} // namespace

DataError::DataError(const std::string& what, const std::string& file, long line, long column)
    : Error(located(what, file, line, column))
{
}

void require_option(bool ok, const char* option, const char* condition, double got)
{
    if (ok)
        return;
    char text[32];
    const auto end = std::to_chars(text, text + sizeof text, got).ptr; // shortest round trip
    throw UsageError(std::string(option) + " must be " + condition + " (got " +
                     std::string(text, end) + ")");
}

} // namespace flowkit
