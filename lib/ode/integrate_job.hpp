// What `integrate` does between its options and its output: read (or draw) the initial
// conditions, run the integrate loop with the chosen stepper, write the trajectory table.
#pragma once

#include "io/cli.hpp"
#include "ode/ensemble.hpp"
#include "ode/stepper.hpp"
#include "ode/system.hpp"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace flowkit::ode {

struct IntegrateJob
{
    std::string method = "rk4";
    double t0 = 0;
    double t_end = 0;
    double dt = 0.01;
    long every = 1;
    std::optional<double> output_dt; ///< write on this grid instead of every K-th step
    std::string times_file; ///< non-empty: write at these times
    double rtol = 1e-6, atol = 1e-9;
    long max_steps = 10000000;
    std::vector<double> ic; ///< non-empty: the one initial condition (else read from input)
    std::optional<EnsembleSpec> random_ics; ///< draw the initial conditions, seeded by --seed
    bool ics_only = false; ///< write the initial conditions (traj,<state>[,H]) and stop
    /// A learned flow map (integrate --flow) stepping instead of `method`.
    std::shared_ptr<const Stepper> learned;

    /// UsageError naming the option for any value out of range.
    void check() const;
};

/// Takes the initial conditions from job.ic, or draws job.random_ics->count of them
/// (random_initial_conditions with an Rng seeded by common.seed; traj 0, 1, ...), or else reads
/// them (state columns named by the system, optional `traj`) from common.input. With
/// job.ics_only writes them as `traj,<state>[,H]`; otherwise integrates them together as one
/// batch and writes `traj,t,<state>[,H]` to common.output. Throws the flowkit errors (see
/// core/error.hpp).
void run_integrate(const IntegrateJob& job, const System& system, const io::CommonOptions& common);

} // namespace flowkit::ode
