#include "core/error.hpp"

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

} // namespace flowkit
