#include "ode/output_times.hpp"

#include <cmath>

namespace flowkit::ode {

OutputCursor::OutputCursor(const OutputSchedule& schedule, Index rows, double t0, double t1)
    : m_schedule(schedule), m_t0(t0), m_t1(t1), m_h(0), m_last_grid(0), m_extra_final(false),
      m_pos(static_cast<std::size_t>(rows), 0)
{
    if (schedule.output_dt > 0 && t1 != t0) {
        m_h = std::copysign(schedule.output_dt, t1 - t0);
        const double ratio = (t1 - t0) / m_h;
        m_last_grid = static_cast<long>(std::floor(ratio + 1e-9));
        m_extra_final = std::abs(ratio - static_cast<double>(m_last_grid)) > 1e-9;
    }
}

bool OutputCursor::done(Index row) const
{
    const long pos = m_pos[static_cast<std::size_t>(row)];
    if (!m_schedule.times.empty()) {
        const auto& list = m_schedule.times.size() == 1
                               ? m_schedule.times[0]
                               : m_schedule.times[static_cast<std::size_t>(row)];
        return pos >= static_cast<long>(list.size());
    }
    return pos > m_last_grid + (m_extra_final ? 1 : 0);
}

double OutputCursor::next(Index row) const
{
    const long pos = m_pos[static_cast<std::size_t>(row)];
    if (!m_schedule.times.empty()) {
        const auto& list = m_schedule.times.size() == 1
                               ? m_schedule.times[0]
                               : m_schedule.times[static_cast<std::size_t>(row)];
        return list[static_cast<std::size_t>(pos)];
    }
    if (pos > m_last_grid)
        return m_t1;
    return m_t0 + static_cast<double>(pos) * m_h; // t0 + j H, never accumulated
}

} // namespace flowkit::ode
