// When the integrate loop writes: every K-th step, on a grid t0 + j H (--output-dt), or at
// listed times (--times), shared by all trajectories or one list per trajectory.
#pragma once

#include "core/eigen.hpp"

#include <vector>

namespace flowkit::ode {

struct OutputSchedule
{
    int every = 1;          ///< write every K-th step (when neither of the below is set)
    double output_dt = 0;   ///< > 0: write at t0, t0 + H, ..., and at t1
    std::vector<std::vector<double>> times; ///< sorted; one list for all rows, or one per row
    /// True when output falls between steps (grid or listed times): dense output is needed.
    bool dense() const { return output_dt > 0 || !times.empty(); }
};

/// Per-row position in the output times of a dense schedule (t0 < t1 or t0 > t1).
class OutputCursor
{
public:
    OutputCursor(const OutputSchedule& schedule, Index rows, double t0, double t1);
    bool done(Index row) const;
    double next(Index row) const;
    void advance(Index row) { ++m_pos[static_cast<std::size_t>(row)]; }

private:
    const OutputSchedule& m_schedule;
    double m_t0, m_t1, m_h;
    long m_last_grid;      // index of the last grid point not past t1
    bool m_extra_final;    // t1 is not on the grid and is written after it
    std::vector<long> m_pos;
};

} // namespace flowkit::ode
