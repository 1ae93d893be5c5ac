#include "io/progress.hpp"

#include <cmath>
#include <cstdio>
#include <unistd.h>

namespace flowkit::io {

Progress::Progress(std::string tool, bool quiet, bool stats)
    : m_tool(std::move(tool)), m_start(std::chrono::steady_clock::now()), m_last(m_start)
{
    const bool tty = ::isatty(STDERR_FILENO);
    m_line = tty && !quiet;
    m_summary = (tty || stats) && !quiet;
}

Progress::~Progress() { finish(); }

double Progress::elapsed_seconds() const
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - m_start).count();
}

void Progress::update(double fraction, const std::string& detail)
{
    if (!m_line)
        return;
    const auto now = std::chrono::steady_clock::now();
    if (now - m_last < std::chrono::milliseconds(200))
        return;
    m_last = now;
    const double elapsed = elapsed_seconds();
    std::string left = "?";
    if (fraction > 1e-6)
        left = format_duration(elapsed * (1.0 - fraction) / fraction);
    std::fprintf(stderr, "\r\033[K%s: %5.1f%%  %s elapsed, %s left  %s", m_tool.c_str(),
                 100.0 * fraction, format_duration(elapsed).c_str(), left.c_str(), detail.c_str());
    std::fflush(stderr);
    m_drawn = true;
}

void Progress::finish()
{
    if (m_drawn) {
        std::fputs("\r\033[K", stderr);
        std::fflush(stderr);
        m_drawn = false;
    }
}

void Progress::summary(const std::string& text)
{
    finish();
    if (m_summary)
        std::fprintf(stderr, "%s: %s\n", m_tool.c_str(), text.c_str());
}

std::string format_duration(double seconds)
{
    char buf[64];
    if (seconds < 60)
        std::snprintf(buf, sizeof buf, "%.3g s", seconds);
    else if (seconds < 3600)
        std::snprintf(buf, sizeof buf, "%d min %d s", int(seconds / 60), int(std::fmod(seconds, 60)));
    else
        std::snprintf(buf, sizeof buf, "%d h %d min", int(seconds / 3600),
                      int(std::fmod(seconds, 3600) / 60));
    return buf;
}

} // namespace flowkit::io
