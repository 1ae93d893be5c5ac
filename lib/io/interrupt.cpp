#include "io/interrupt.hpp"

#include "io/atomic_file.hpp"

#include <csignal>

namespace flowkit::io {

namespace {

volatile std::sig_atomic_t g_signal = 0;

extern "C" void raise_flag(int sig)
{
    g_signal = sig;
    // signal() is async-signal-safe: a second signal now takes the usual way out.
    remove_temporaries_on_signal();
}

} // namespace

InterruptScope::InterruptScope()
{
    g_signal = 0;
    std::signal(SIGINT, raise_flag);
    std::signal(SIGTERM, raise_flag);
}

InterruptScope::~InterruptScope() { remove_temporaries_on_signal(); }

int InterruptScope::signal_received() { return g_signal; }

const char* signal_name(int signal)
{
    switch (signal) {
    case SIGINT:
        return "SIGINT";
    case SIGTERM:
        return "SIGTERM";
    default:
        return "a signal";
    }
}

} // namespace flowkit::io
