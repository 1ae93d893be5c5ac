// Where each row of a batch is observed (node-fit's trajectories with irregular times, a CNF's
// [0, 1]): row r at times t(start[r]), ..., t(start[r + 1] - 1), strictly monotone (increasing,
// or decreasing for a solve backward in time); its first time is its initial time.
#pragma once

#include "core/eigen.hpp"

#include <vector>

namespace flowkit::ode {

struct ObservationTimes
{
    Vec t;                    ///< every row's times, row after row
    std::vector<Index> start; ///< rows() + 1 offsets into t

    Index rows() const { return Index(start.size()) - 1; }
    Index count(Index r) const { return start[std::size_t(r) + 1] - start[std::size_t(r)]; }
    Index first(Index r) const { return start[std::size_t(r)]; }
    Index last(Index r) const { return start[std::size_t(r) + 1] - 1; }

    /// The same observations in reverse order within each row (a solve from the last back to
    /// the first); index k of this becomes reversed_index(k) there.
    ObservationTimes reversed() const;
    Index reversed_index(Index r, Index k) const { return first(r) + last(r) - k; }
};

} // namespace flowkit::ode
