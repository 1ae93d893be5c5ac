// The built-in systems of CLI.md, written in C++ with analytic derivatives.
#pragma once

#include "ode/system.hpp"

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace flowkit::ode {

/// Parameter overrides, NAME=VALUE, in the order given.
using ParamList = std::vector<std::pair<std::string, double>>;

/// A built-in system by name; UsageError for an unknown name or parameter.
std::unique_ptr<System> make_builtin_system(const std::string& name, const ParamList& params = {});

/// What --list-systems prints: each system with its variables, parameters (and defaults) and
/// equations or Hamiltonian.
std::string list_builtin_systems();

} // namespace flowkit::ode
