// A system whose parameters vary from row to row (pinn-train --param-domain): the named
// parameters become trailing state variables that do not change, z = (x, k) with
// F_z(t, z) = (F(t, x; k), 0), so one batch holds a different parameter value in every row.
#pragma once

#include "ode/system.hpp"

#include <memory>
#include <string>
#include <vector>

namespace flowkit::ode {

/// The system of (x, k) for the parameters `names` of `system` (UsageError for a name that is
/// not one of its parameters, or for a --hamiltonian system, whose parameters are not supported
/// yet). A --rhs system becomes an --rhs system over (x, k), evaluated as one batch; a built-in
/// is evaluated row by row with the row's parameter values (consecutive rows with the same
/// values share one instance). The result has no Hamiltonian.
std::unique_ptr<System> params_as_state(const System& system, const std::vector<std::string>& names);

} // namespace flowkit::ode
