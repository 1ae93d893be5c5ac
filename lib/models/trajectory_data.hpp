// Trajectory CSV for fitting a Neural ODE (CLI.md "node-fit"): columns traj (optional: one
// trajectory), t and the state; times may be irregular and differ between trajectories, rows of
// different trajectories may interleave, and within one trajectory t strictly increases.
#pragma once

#include "core/eigen.hpp"
#include "io/table.hpp"
#include "ode/observation_times.hpp"

#include <string>
#include <vector>

namespace flowkit::models {

struct TrajectoryData
{
    std::vector<std::string> names;          ///< state columns, in order
    std::vector<std::string> velocity_names; ///< velocity columns read (may be empty)
    std::vector<double> ids;                 ///< traj of each trajectory, in order of appearance
    ode::ObservationTimes times;             ///< one row per trajectory
    Mat states;                              ///< one row per observation, in times' layout
    Mat velocities;                          ///< likewise, when velocity_names is not empty

    Index trajectories() const { return times.rows(); }
};

/// Reads the columns t, traj (if present), `names` (when empty: every column but the reserved
/// traj, t, H, H_err, H_N, logp, and `velocity_names`) and `velocity_names`. DataError (file,
/// line, column) for a missing column, a time that does not increase within a trajectory, a
/// trajectory with a single row, or no rows.
TrajectoryData read_trajectories(io::TableReader& reader, const std::vector<std::string>& names,
                                 const std::vector<std::string>& velocity_names);

} // namespace flowkit::models
