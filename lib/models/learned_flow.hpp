// Reading a learned flow map from its model file, for `integrate --flow` (CLI.md "integrate"):
// the stepper, the system it was trained on (for names and the true H), and its limits.
#pragma once

#include "ode/stepper.hpp"
#include "ode/system.hpp"

#include <memory>
#include <string>

namespace flowkit::models {

struct LearnedFlow
{
    std::unique_ptr<ode::System> system;   ///< what the model was trained on
    std::unique_ptr<ode::Stepper> stepper; ///< one step = the learned map
    double max_dt = 0;                     ///< the longest step: the model's dt (or T)
    bool ivp = false;                      ///< an IVP model: only its own x0, on [0, max_dt]
    Vec ic;                                ///< an IVP model's x0
};

/// Reads MODEL ("-": stdin): kind pinn. NoInputError / DataError as io::read_model.
LearnedFlow read_learned_flow(const std::string& path);

} // namespace flowkit::models
