#include "io/atomic_file.hpp"

#include "core/error.hpp"

#include <array>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <sys/stat.h>
#include <unistd.h>

namespace flowkit::io {

namespace {

// Temporary paths still to delete if a signal arrives; plain arrays, so the handler only
// touches memory that is async-signal-safe to read.
constexpr int max_pending = 16;
constexpr std::size_t max_path = 4096;
std::array<std::array<char, max_path>, max_pending> g_pending{};
volatile std::sig_atomic_t g_pending_used[max_pending] = {};

int register_pending(const std::string& path)
{
    if (path.size() >= max_path)
        return -1;
    for (int i = 0; i < max_pending; ++i)
        if (!g_pending_used[i]) {
            std::memcpy(g_pending[i].data(), path.c_str(), path.size() + 1);
            g_pending_used[i] = 1;
            return i;
        }
    return -1;
}

void unregister_pending(const std::string& path)
{
    for (int i = 0; i < max_pending; ++i)
        if (g_pending_used[i] && path == g_pending[i].data())
            g_pending_used[i] = 0;
}

extern "C" void remove_and_die(int sig)
{
    for (int i = 0; i < max_pending; ++i)
        if (g_pending_used[i])
            ::unlink(g_pending[i].data());
    std::signal(sig, SIG_DFL);
    std::raise(sig);
}

} // namespace

AtomicFile::AtomicFile(const std::string& path) : m_path(path)
{
    struct stat st;
    if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
        if (S_ISDIR(st.st_mode))
            throw OutputError("cannot write '" + path + "': it is a directory");
        m_direct = true;
        m_out.open(path, std::ios::binary);
        if (!m_out)
            throw OutputError("cannot write '" + path + "': " + std::strerror(errno));
        return;
    }
    std::string pattern = path + ".tmp.XXXXXX";
    const int fd = ::mkstemp(pattern.data());
    if (fd < 0)
        throw OutputError("cannot write '" + path + "': " + std::strerror(errno));
    // mkstemp makes the file 0600; give it the permissions a plain open() would.
    const mode_t mask = ::umask(0);
    ::umask(mask);
    ::fchmod(fd, 0666 & ~mask);
    ::close(fd);
    m_tmp = pattern;
    register_pending(m_tmp);
    m_out.open(m_tmp, std::ios::binary | std::ios::trunc);
    if (!m_out) {
        ::unlink(m_tmp.c_str());
        unregister_pending(m_tmp);
        throw OutputError("cannot write '" + path + "'");
    }
}

AtomicFile::~AtomicFile()
{
    if (!m_committed && !m_direct) {
        m_out.close();
        ::unlink(m_tmp.c_str());
        unregister_pending(m_tmp);
    }
}

void AtomicFile::commit()
{
    m_out.flush();
    const bool ok = static_cast<bool>(m_out);
    m_out.close();
    if (!ok || m_out.fail())
        throw OutputError("cannot write '" + m_path + "'");
    if (m_direct) {
        m_committed = true;
        return;
    }
    if (std::rename(m_tmp.c_str(), m_path.c_str()) != 0)
        throw OutputError("cannot write '" + m_path + "': " + std::strerror(errno));
    unregister_pending(m_tmp);
    m_committed = true;
}

void write_file_atomically(const std::string& path, const std::string& text)
{
    AtomicFile file(path);
    file.stream().write(text.data(), static_cast<std::streamsize>(text.size()));
    file.commit();
}

void remove_temporaries_on_signal()
{
    std::signal(SIGINT, remove_and_die);
    std::signal(SIGTERM, remove_and_die);
}

} // namespace flowkit::io
