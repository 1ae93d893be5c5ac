// Trajectory data as samples of a flow map (sympflow-train --data, the paper's "discovery"):
// each trajectory's first row is x0 at t0, and each later row within dt of it is a target
// y = phi_{t - t0}(x0). Rows of different trajectories may interleave.
#pragma once

#include "core/eigen.hpp"
#include "io/cli.hpp"
#include "io/table.hpp"

#include <string>
#include <vector>

namespace flowkit::models {

struct FlowSamples
{
    std::vector<std::string> names; ///< state columns, in order
    Mat x0;                         ///< one row per sample: its trajectory's first state
    Vec s;                          ///< t - t0, in (0, dt]
    Mat y;                          ///< the observed state at t
    Index trajectories = 0;
};

/// The columns traj (optional: one trajectory), t and the state: `names`, or when empty every
/// column but the reserved traj, t, H, H_err, H_N, logp. DataError (file, line, column) for a
/// missing column, a time that does not increase within a trajectory, or no sample at all;
/// rows later than t0 + dt are skipped.
FlowSamples read_flow_samples(io::TableReader& reader, const std::vector<std::string>& names,
                              double dt);

/// The smallest box holding every x0 and y, per state column (a degenerate side is widened to
/// +-0.5 around its value): the domain recorded for a model trained from data.
std::vector<io::Range> bounding_box(const FlowSamples& samples);

} // namespace flowkit::models
