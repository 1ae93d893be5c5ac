// Output files written atomically: a temporary file beside the target, renamed over it on
// commit. An error, an exception or a SIGINT/SIGTERM before commit leaves no partial file.
// A target that exists and is not a regular file (a FIFO, /dev/null) is written directly.
#pragma once

#include <fstream>
#include <string>

namespace flowkit::io {

class AtomicFile
{
public:
    /// Creates `path.tmp.XXXXXX` in the target's directory; OutputError if it cannot.
    explicit AtomicFile(const std::string& path);
    ~AtomicFile(); ///< removes the temporary file unless committed
    AtomicFile(const AtomicFile&) = delete;
    AtomicFile& operator=(const AtomicFile&) = delete;

    std::ostream& stream() { return m_out; }
    /// Flushes, closes and renames onto the target; OutputError on any failure.
    void commit();

private:
    std::string m_path;
    std::string m_tmp;
    std::ofstream m_out;
    bool m_committed = false;
    bool m_direct = false; // writing straight into a FIFO or device
};

/// Writes `text` to `path` atomically.
void write_file_atomically(const std::string& path, const std::string& text);

/// Installs SIGINT/SIGTERM handlers that delete every uncommitted temporary file and then die
/// of the signal as usual (exit 130/143 seen from the shell).
void remove_temporaries_on_signal();

} // namespace flowkit::io
