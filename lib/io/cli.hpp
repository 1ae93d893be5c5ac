// Command-line glue shared by every tool: the common options of CLI.md, parsing, input and
// output streams, and run_tool, the one place that turns errors into messages and exit codes.
#pragma once

#include "io/atomic_file.hpp"
#include "io/table.hpp"

#include <cxxopts.hpp>

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

namespace flowkit::io {

/// Thrown by parse() for --help and --version: run_tool prints `text` on stdout and exits 0.
struct HelpShown
{
    std::string text;
};

/// Runs `body`, maps what it throws to `name: message` on stderr and an exit code, and
/// flushes stdout (a failed write is exit 73). Deletes uncommitted -o files on SIGINT/SIGTERM.
int run_tool(const char* name, int argc, char** argv, const std::function<void()>& body);

/// "NAME (flowkit) X.Y.Z\n", what --version prints.
std::string version_text(const std::string& name);

/// -h -i -o --format --seed --threads --quiet --stats --provenance --version.
void add_common_options(cxxopts::Options& opts);

/// Parses argv; --help/--version throw HelpShown; stray arguments are a UsageError.
cxxopts::ParseResult parse(cxxopts::Options& opts, int argc, char** argv);

/// The common options, read back.
struct CommonOptions
{
    std::string input = "-";
    std::string output; ///< empty: stdout
    Format format = Format::csv;
    std::uint64_t seed = 0;
    int threads = 1;
    bool quiet = false;
    bool stats = false;
    std::vector<std::string> provenance; ///< comment lines to write first (empty unless --provenance)
};
CommonOptions common_options(const cxxopts::ParseResult& args, const char* name, int argc,
                             char** argv);

/// An input stream: stdin for "-", else the file (NoInputError if it cannot be opened).
class Input
{
public:
    explicit Input(const std::string& path);
    std::istream& stream() { return *m_in; }
    const std::string& name() const { return m_name; }
    bool is_terminal() const;

private:
    std::string m_name;
    std::unique_ptr<std::istream> m_file;
    std::istream* m_in;
};

/// An output stream: stdout when `path` is empty, else an AtomicFile committed by commit().
class Output
{
public:
    explicit Output(const std::string& path);
    std::ostream& stream();
    void commit();

private:
    std::unique_ptr<AtomicFile> m_file;
};

/// The value of option `name` (its default when not given) as a finite number, or as a whole
/// number; UsageError naming the option otherwise. Declare such options as strings, so that
/// the message is ours and names the option.
double number_option(const cxxopts::ParseResult& args, const std::string& name);
long integer_option(const cxxopts::ParseResult& args, const std::string& name);

/// "1,0.5,-2" -> numbers; UsageError naming `option` otherwise.
std::vector<double> parse_numbers(const std::string& text, const std::string& option);
/// "a=1,b=2" -> pairs in order; UsageError naming `option` otherwise.
std::vector<std::pair<std::string, double>> parse_assignments(const std::string& text,
                                                              const std::string& option);
/// A range LO < HI of one named variable, as in --domain "x=-1:1".
struct Range
{
    std::string name;
    double lo = 0;
    double hi = 0;
    bool operator==(const Range& o) const { return name == o.name && lo == o.lo && hi == o.hi; }
};
/// "a=lo:hi,b=lo:hi,..." -> ranges in order (spaces around names and numbers are ignored).
/// UsageError naming `option` and the entry for an entry that is not NAME=LO:HI, a bound that
/// is not a finite number, LO >= HI, HI - LO not finite, or a name given twice.
std::vector<Range> parse_ranges(const std::string& text, const std::string& option);
/// The ranges in the order of `names`, one for each; UsageError naming `option` for a name
/// without a range or a range of no such name.
std::vector<Range> order_ranges(const std::vector<Range>& ranges,
                                const std::vector<std::string>& names, const std::string& option);
/// "a" or "a,b,c" -> names (empty entries are a UsageError).
std::vector<std::string> parse_names(const std::string& text, const std::string& option);

} // namespace flowkit::io
