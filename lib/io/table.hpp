// Named-column tables on streams: CSV (header, `#` comments) or JSON Lines, read row by row
// with errors that name file, line and column; written with shortest round-trip numbers.
#pragma once

#include "core/eigen.hpp"

#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

namespace flowkit::io {

enum class Format { csv, jsonl };

/// "csv" or "jsonl"; anything else is a UsageError.
Format parse_format(const std::string& name);

/// Streams a table. The first line that is neither empty nor a `#` comment is the CSV header,
/// or, when it starts with `{`, the first JSON Lines object (its keys, in order, are the columns).
/// Every field must be a finite number.
class TableReader
{
public:
    /// `source` names the input in messages ("-" is shown as "<stdin>").
    TableReader(std::istream& in, const std::string& source);

    const std::vector<std::string>& columns() const { return m_columns; }
    const std::string& source() const { return m_source; }
    std::optional<Index> find(const std::string& name) const;
    /// The index of a column the data must have; DataError naming the header line otherwise.
    Index require(const std::string& name) const;
    /// UsageError naming `option` unless every one of `names` (the columns an option such as
    /// --vars names) is a column: a wrong name on the command line is a usage error (exit 64).
    void require_named(const std::vector<std::string>& names, const std::string& option) const;

    /// Reads the next row into `row` (resized to columns().size()); false at the end of input.
    bool next(std::vector<double>& row);
    /// Line number of the row last read (1-based, counting comments and the header).
    long line() const { return m_line; }
    /// Throws DataError at the current line, naming column `column` of the table.
    [[noreturn]] void fail(const std::string& what, Index column) const;

private:
    bool read_line(std::string& line);
    void parse_csv_row(const std::string& line, std::vector<double>& row);
    void parse_jsonl_row(const std::string& line, std::vector<double>& row);

    std::istream& m_in;
    std::string m_source;
    std::vector<std::string> m_columns;
    std::vector<long> m_field_start; // character column of each field in the current CSV line
    Format m_format = Format::csv;
    long m_line = 0;
    long m_header_line = 0;
    std::string m_pending; // first JSON Lines object, read with the header
    std::string m_buffer;
};

/// traj, t, H, H_err, H_N, logp: the columns that are never state (DESIGN.md "Data formats").
bool is_reserved_column(const std::string& name);

/// Reads all remaining rows; row i of the result is data row i.
Mat read_rows(TableReader& reader);

/// Writes rows with a fixed set of columns. Output is buffered; call flush() at the end
/// (it throws OutputError if the stream failed).
class TableWriter
{
public:
    /// `comments` are written first as `# ...` lines (provenance); then the CSV header.
    TableWriter(std::ostream& out, std::vector<std::string> columns, Format format = Format::csv,
                const std::vector<std::string>& comments = {});
    ~TableWriter();
    TableWriter(const TableWriter&) = delete;
    TableWriter& operator=(const TableWriter&) = delete;

    const std::vector<std::string>& columns() const { return m_columns; }
    /// `values` holds columns().size() numbers.
    void row(const double* values);
    void row(const std::vector<double>& values) { row(values.data()); }
    void flush();

private:
    void append_number(double v);

    std::ostream& m_out;
    std::vector<std::string> m_columns;
    std::vector<std::string> m_json_keys; // `"name":` for each column
    Format m_format;
    std::string m_buf;
    long m_rows = 0;    // rows written so far
    int m_uncaught = 0; // exceptions in flight when constructed
};

/// Shortest text that reads back as the same double (std::to_chars).
std::string format_number(double v);

} // namespace flowkit::io
