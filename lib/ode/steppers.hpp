// Choosing a classical stepper by name (--method).
#pragma once

#include "ode/stepper.hpp"
#include "ode/system.hpp"

#include <memory>
#include <string>
#include <vector>

namespace flowkit::ode {

/// Every name --method accepts.
const std::vector<std::string>& method_names();

/// True for methods with step-size control (dopri5).
bool is_adaptive(const std::string& method);

/// The stepper `method` on `system`; rtol/atol only matter to dopri5. UsageError for an unknown
/// method or one the system does not allow (explicit symplectic methods need a separable H).
std::unique_ptr<Stepper> make_stepper(const std::string& method, const System& system,
                                      double rtol = 1e-6, double atol = 1e-9);

} // namespace flowkit::ode
