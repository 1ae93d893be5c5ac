// Graceful interrupts for long runs: while an InterruptScope lives, the first SIGINT or SIGTERM
// only raises a flag that the run polls (it then saves its state and stops); a second one ends
// the process as usual, removing uncommitted temporary files (io/atomic_file.hpp).
#pragma once

namespace flowkit::io {

class InterruptScope
{
public:
    InterruptScope();  ///< installs the flag-raising handlers, clears the flag
    ~InterruptScope(); ///< puts back the handlers that remove temporaries and die
    InterruptScope(const InterruptScope&) = delete;
    InterruptScope& operator=(const InterruptScope&) = delete;

    /// 0, or the number of the first signal received while in scope.
    static int signal_received();
};

/// "SIGINT", "SIGTERM" or "a signal".
const char* signal_name(int signal);

} // namespace flowkit::io
