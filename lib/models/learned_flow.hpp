// Reading a learned flow map from its model file, for `integrate --flow` (CLI.md "integrate"):
// the stepper, the system it was trained on (for names and the true H), and its limits.
#pragma once

#include "ode/integrate_job.hpp"
#include "ode/stepper.hpp"
#include "ode/system.hpp"

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace flowkit::models {

struct LearnedFlow
{
    std::unique_ptr<ode::System> system;   ///< what the model was trained on
    std::unique_ptr<ode::Stepper> stepper; ///< one step = the learned map
    double max_dt = 0;                     ///< the longest step: the model's dt (or T)
    bool ivp = false;                      ///< an IVP model: only its own x0, on [0, max_dt]
    Vec ic;                                ///< an IVP model's x0
};

/// Reads MODEL ("-": stdin): kind pinn or sympflow. NoInputError / DataError as io::read_model. `params`
/// (integrate --param) sets the parameters a parametric model takes as inputs, each inside its
/// trained range (default: the value in the model's system, if inside); UsageError for a value
/// outside, or for any other parameter (the model was trained with it fixed).
LearnedFlow read_learned_flow(const std::string& path,
                              const std::vector<std::pair<std::string, double>>& params = {});

/// Makes `job` step with the flow (its system stays with the caller, moved out before): --dt
/// defaults to the model's dt (unless dt_given) and may not exceed it; an IVP model takes its own
/// initial condition (from job.ic or none given), t0 = 0 and t_end in [0, T], and no input.
/// UsageError otherwise.
void use_learned_flow(LearnedFlow flow, ode::IntegrateJob& job, bool dt_given, bool input_given);

} // namespace flowkit::models
