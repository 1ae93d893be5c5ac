// The stderr progress line (only on a terminal, never with --quiet) and the closing summary
// (on a terminal, or always with --stats; never with --quiet).
#pragma once

#include <chrono>
#include <string>

namespace flowkit::io {

class Progress
{
public:
    Progress(std::string tool, bool quiet, bool stats);
    ~Progress(); ///< clears a progress line still shown

    /// Shows `fraction` done (0..1), elapsed time, time left and `detail`; at most 5 times a second.
    void update(double fraction, const std::string& detail = "");
    /// Clears the progress line.
    void finish();
    /// Prints `tool: text` if a summary is wanted.
    void summary(const std::string& text);
    double elapsed_seconds() const;
    bool shows_line() const { return m_line; }

private:
    std::string m_tool;
    bool m_line;    // progress line wanted
    bool m_summary; // closing summary wanted
    bool m_drawn = false;
    std::chrono::steady_clock::time_point m_start, m_last;
};

/// "1.2 s", "3 min 4 s", "1 h 2 min".
std::string format_duration(double seconds);

} // namespace flowkit::io
