#include "io/cli.hpp"

#include "core/error.hpp"

#include <cerrno>
#include <charconv>
#include <cstring>
#include <algorithm>
#include <cmath>
#include <fstream>
#include <iostream>
#include <thread>
#include <sys/stat.h>
#include <unistd.h>

namespace flowkit::io {

std::string version_text(const std::string& name)
{
    return name + " (flowkit) " FLOWKIT_VERSION "\n";
}

namespace {

std::string shell_quoted(const std::string& arg)
{
    if (!arg.empty() && arg.find_first_of(" \t\n'\"\\$`;|&<>(){}*?[]#~") == std::string::npos)
        return arg;
    std::string q = "'";
    for (char c : arg)
        q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
}

/// The finite number `text` spells (an optional leading '+' allowed), or false.
bool to_number(const std::string& text, double& v)
{
    const char* first = text.data();
    const char* last = first + text.size();
    if (first < last && *first == '+')
        ++first;
    const auto [end, ec] = std::from_chars(first, last, v);
    return !text.empty() && ec == std::errc() && end == last && std::isfinite(v);
}

double parse_double(const std::string& text, const std::string& option)
{
    double v = 0;
    if (!to_number(text, v))
        throw UsageError("--" + option + ": not a finite number: '" + text + "'");
    return v;
}

std::string trimmed(const std::string& text)
{
    const auto first = text.find_first_not_of(" \t");
    if (first == std::string::npos)
        return "";
    return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

std::vector<std::string> split(const std::string& text, char sep)
{
    std::vector<std::string> parts;
    std::string::size_type start = 0;
    while (true) {
        const auto pos = text.find(sep, start);
        parts.push_back(text.substr(start, pos - start));
        if (pos == std::string::npos)
            return parts;
        start = pos + 1;
    }
}

/// cxxopts's messages with ASCII quotes and a lower-case start, like ours.
std::string plain_message(std::string what)
{
    for (const char* quote : {"\u2018", "\u2019"}) {
        for (auto pos = what.find(quote); pos != std::string::npos; pos = what.find(quote))
            what.replace(pos, std::string(quote).size(), "'");
    }
    if (!what.empty() && what[0] >= 'A' && what[0] <= 'Z')
        what[0] = static_cast<char>(what[0] - 'A' + 'a');
    return what;
}

} // namespace

int run_tool(const char* name, int argc, char** argv, const std::function<void()>& body)
{
    (void)argc;
    (void)argv;
    remove_temporaries_on_signal();
    std::ios::sync_with_stdio(false);
    try {
        body();
        std::cout.flush();
        if (!std::cout)
            throw OutputError("write error");
        return 0;
    } catch (const HelpShown& h) {
        std::cout << h.text << std::flush;
        return std::cout ? 0 : 73;
    } catch (const cxxopts::exceptions::exception& e) {
        std::cerr << name << ": " << plain_message(e.what()) << "\nTry '" << name << " --help'.\n";
        return 64;
    } catch (const UsageError& e) {
        std::cerr << name << ": " << e.what() << "\nTry '" << name << " --help'.\n";
        return e.exit_code();
    } catch (const Error& e) {
        std::cerr << name << ": " << e.what() << "\n";
        return e.exit_code();
    } catch (const std::bad_alloc&) {
        std::cerr << name << ": out of memory\n";
        return 70;
    } catch (const std::exception& e) {
        std::cerr << name << ": internal error: " << e.what() << "\n";
        return 70;
    }
}

void add_common_options(cxxopts::Options& opts)
{
    // clang-format off
    opts.add_options("Common")
        ("h,help", "Print this help and exit.")
        ("version", "Print the version and exit.")
        ("i,input", "Read CSV or JSON Lines from FILE ('-': standard input).",
         cxxopts::value<std::string>()->default_value("-"), "FILE")
        ("o,output", "Write the result to FILE, atomically (default: standard output).",
         cxxopts::value<std::string>(), "FILE")
        ("format", "Output format: csv or jsonl.", cxxopts::value<std::string>()->default_value("csv"),
         "FMT")
        ("seed", "Seed of every random choice.", cxxopts::value<std::string>()->default_value("0"),
         "N")
        ("threads", "Worker threads (0: all cores); the output does not depend on it.",
         cxxopts::value<std::string>()->default_value("0"), "N")
        ("quiet", "Print nothing on standard error but errors.")
        ("stats", "Print the closing summary on standard error even when it is not a terminal.")
        ("provenance", "Write leading '# TOOL options...' comment lines.");
    // clang-format on
}

cxxopts::ParseResult parse(cxxopts::Options& opts, int argc, char** argv)
{
    auto args = opts.parse(argc, argv);
    if (args.count("help")) {
        // The tool's own groups first, the common options last.
        std::vector<std::string> groups;
        for (const auto& g : opts.groups())
            if (g != "Common")
                groups.push_back(g);
        groups.push_back("Common");
        throw HelpShown{opts.help(groups)};
    }
    if (args.count("version"))
        throw HelpShown{version_text(opts.program())};
    if (!args.unmatched().empty())
        throw UsageError("unexpected argument '" + args.unmatched().front() + "'");
    return args;
}

CommonOptions common_options(const cxxopts::ParseResult& args, const char* name, int argc,
                             char** argv)
{
    CommonOptions c;
    c.input = args["input"].as<std::string>();
    if (args.count("output"))
        c.output = args["output"].as<std::string>();
    if (c.output == "-")
        c.output.clear();
    c.format = parse_format(args["format"].as<std::string>());
    const long seed = integer_option(args, "seed");
    if (seed < 0)
        throw UsageError("--seed must be >= 0 (got " + std::to_string(seed) + ")");
    c.seed = static_cast<std::uint64_t>(seed);
    const long threads = integer_option(args, "threads");
    if (threads < 0 || threads > 4096)
        throw UsageError("--threads must be between 0 and 4096 (got " + std::to_string(threads) + ")");
    c.threads = static_cast<int>(threads);
    if (c.threads == 0)
        c.threads = std::max(1u, std::thread::hardware_concurrency());
    c.quiet = args.count("quiet") > 0;
    c.stats = args.count("stats") > 0;
    if (args.count("provenance")) {
        std::string line = name;
        for (int i = 1; i < argc; ++i)
            line += " " + shell_quoted(argv[i]);
        c.provenance.push_back(line);
        c.provenance.push_back(std::string("flowkit ") + FLOWKIT_VERSION);
    }
    return c;
}

Input::Input(const std::string& path) : m_name(path.empty() ? "-" : path), m_in(&std::cin)
{
    if (m_name == "-")
        return;
    struct stat st;
    if (::stat(m_name.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
        throw NoInputError("cannot read '" + m_name + "': it is a directory");
    auto file = std::make_unique<std::ifstream>(m_name, std::ios::binary);
    if (!*file)
        throw NoInputError("cannot open '" + m_name + "': " + std::strerror(errno));
    m_file = std::move(file);
    m_in = m_file.get();
}

bool Input::is_terminal() const { return m_name == "-" && ::isatty(STDIN_FILENO); }

Output::Output(const std::string& path)
{
    if (!path.empty())
        m_file = std::make_unique<AtomicFile>(path);
}

std::ostream& Output::stream() { return m_file ? m_file->stream() : std::cout; }

void Output::commit()
{
    if (m_file)
        m_file->commit();
    else if (!std::cout.flush())
        throw OutputError("write error");
}

double number_option(const cxxopts::ParseResult& args, const std::string& name)
{
    return parse_double(args[name].as<std::string>(), name);
}

long integer_option(const cxxopts::ParseResult& args, const std::string& name)
{
    const std::string text = args[name].as<std::string>();
    long v = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size())
        throw UsageError("--" + name + ": not a whole number: '" + text + "'");
    return v;
}

std::vector<double> parse_numbers(const std::string& text, const std::string& option)
{
    std::vector<double> values;
    for (const auto& part : split(text, ','))
        values.push_back(parse_double(part, option));
    return values;
}

std::vector<std::pair<std::string, double>> parse_assignments(const std::string& text,
                                                              const std::string& option)
{
    std::vector<std::pair<std::string, double>> pairs;
    for (const auto& part : split(text, ',')) {
        const auto eq = part.find('=');
        if (eq == std::string::npos || eq == 0)
            throw UsageError("--" + option + ": expected NAME=VALUE, got '" + part + "'");
        pairs.emplace_back(part.substr(0, eq), parse_double(part.substr(eq + 1), option));
    }
    return pairs;
}

std::vector<Range> parse_ranges(const std::string& text, const std::string& option)
{
    std::vector<Range> ranges;
    for (const auto& raw : split(text, ',')) {
        const std::string part = trimmed(raw);
        const auto eq = part.find('=');
        const auto colon = part.find(':', eq == std::string::npos ? 0 : eq);
        Range r;
        if (eq != std::string::npos)
            r.name = trimmed(part.substr(0, eq));
        if (r.name.empty() || colon == std::string::npos)
            throw UsageError("--" + option + ": expected NAME=LO:HI, got '" + part + "'");
        const std::string lo = trimmed(part.substr(eq + 1, colon - eq - 1));
        const std::string hi = trimmed(part.substr(colon + 1));
        for (const auto* bound : {&lo, &hi})
            if (!to_number(*bound, bound == &lo ? r.lo : r.hi))
                throw UsageError("--" + option + ": " + part + ": not a finite number: '" +
                                 *bound + "'");
        if (!(r.lo <= r.hi)) // LO = HI fixes the value
            throw UsageError("--" + option + ": " + part + ": LO must not exceed HI");
        if (!std::isfinite(r.hi - r.lo))
            throw UsageError("--" + option + ": " + part + ": HI - LO is too large");
        for (const auto& seen : ranges)
            if (seen.name == r.name)
                throw UsageError("--" + option + ": " + r.name + " has two ranges");
        ranges.push_back(r);
    }
    return ranges;
}

std::vector<Range> order_ranges(const std::vector<Range>& ranges,
                                const std::vector<std::string>& names, const std::string& option)
{
    std::vector<Range> ordered;
    for (const std::string& name : names) {
        const auto it = std::find_if(ranges.begin(), ranges.end(),
                                     [&](const Range& r) { return r.name == name; });
        if (it == ranges.end())
            throw UsageError(option + " has no range for '" + name + "'");
        ordered.push_back(*it);
    }
    for (const Range& r : ranges)
        if (std::find(names.begin(), names.end(), r.name) == names.end())
            throw UsageError(option + " names '" + r.name + "', which is not a state variable");
    return ordered;
}

std::vector<std::string> parse_names(const std::string& text, const std::string& option)
{
    auto names = split(text, ',');
    for (const auto& n : names)
        if (n.empty())
            throw UsageError("--" + option + ": empty name in '" + text + "'");
    return names;
}

} // namespace flowkit::io
