// The --history CSV of a training run (DESIGN.md "Training history"): epoch,loss,...,seconds,
// one row per logged epoch, flushed row by row so that a run that fails keeps its history.
#pragma once

#include <fstream>
#include <string>
#include <vector>

namespace flowkit::nn {

class History
{
public:
    /// Starts `path` with the header `columns` (the first must be "epoch"); an empty path keeps
    /// no history. With resumed_epoch > 0 (a resumed run) an existing file with the same header
    /// is continued: its rows up to resumed_epoch are kept and later ones (written after the
    /// checkpoint the run resumes from) dropped, so the file reads as one run. DataError if its
    /// header differs; OutputError if it cannot be written.
    History(const std::string& path, std::vector<std::string> columns, long resumed_epoch = 0);

    bool enabled() const { return m_out.is_open(); }
    /// One row: the epoch, then values for the other columns in order (shortest round trip).
    void write(long epoch, const std::vector<double>& values);

private:
    std::string m_path;
    std::size_t m_columns;
    std::ofstream m_out;
};

} // namespace flowkit::nn
