// Errors and their exit codes (sysexits, DESIGN.md "Errors and exit codes").
// lib/ throws these; only io::run_tool turns them into messages and exit codes.
#pragma once

#include <stdexcept>
#include <string>

namespace flowkit {

/// Base of every error flowkit reports; what() is the whole message, location included.
struct Error : std::runtime_error
{
    using std::runtime_error::runtime_error;
    virtual int exit_code() const { return 70; }
};

/// Bad command line: unknown option or value, a column that does not exist, a method the
/// system does not allow (exit 64).
struct UsageError : Error
{
    using Error::Error;
    int exit_code() const override { return 64; }
};

/// Malformed input data or model file (exit 65). The message names file, line and column.
struct DataError : Error
{
    /// line and column are 1-based; 0 leaves them out of the message.
    DataError(const std::string& what, const std::string& file, long line = 0, long column = 0);
    int exit_code() const override { return 65; }
};

/// An input file is missing or unreadable (exit 66).
struct NoInputError : Error
{
    using Error::Error;
    int exit_code() const override { return 66; }
};

/// An output cannot be written (exit 73).
struct OutputError : Error
{
    using Error::Error;
    int exit_code() const override { return 73; }
};

/// The computation failed: NaN/Inf, an implicit solve that did not converge, a step size that
/// underflowed (exit 1). The message says at which time, step or epoch.
struct ComputeError : Error
{
    using Error::Error;
    int exit_code() const override { return 1; }
};

/// A run stopped by SIGINT or SIGTERM after saving what it had (exit 128 + signal: 130, 143).
struct Interrupted : Error
{
    Interrupted(const std::string& what, int signal) : Error(what), signal(signal) {}
    int exit_code() const override { return 128 + signal; }
    int signal;
};

/// Checks a parameter: throws UsageError "OPTION must be CONDITION (got VALUE)" unless ok.
void require_option(bool ok, const char* option, const char* condition, double got);

} // namespace flowkit
