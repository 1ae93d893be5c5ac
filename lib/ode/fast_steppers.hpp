// The fixed-size fast path (DESIGN.md "Integrators"): a single trajectory of a small built-in
// system is stepped with fixed-size Eigen vectors and the system's inlined one-state formulas,
// as fast as hand-written code. Batches take the general path of the same stepper; the two
// compute the same formulas in the same order and agree to round-off (the compiler may fuse
// multiply-adds differently in each).
#pragma once

#include "ode/stepper.hpp"
#include "ode/system.hpp"

#include <memory>
#include <string>

namespace flowkit::ode {

/// The fast variant of `method` for `system`, or nullptr when there is none (a user-defined
/// system, or a method without a fast path: the implicit ones).
std::unique_ptr<Stepper> make_fast_stepper(const std::string& method, const System& system,
                                           double rtol, double atol);

} // namespace flowkit::ode
