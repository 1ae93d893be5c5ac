// The command-line options that choose a system (CLI.md "Choosing a system"), shared by every
// tool that needs one.
#pragma once

#include "ode/system.hpp"

#include <cxxopts.hpp>

#include <memory>
#include <string>

namespace flowkit::ode {

/// --system, --rhs, --hamiltonian, --vars, --param, --list-systems.
void add_system_options(cxxopts::Options& opts);

/// The system the options name. --list-systems prints the list and ends the tool (exit 0);
/// UsageError when no system or an unknown one is named.
std::unique_ptr<System> system_from_options(const cxxopts::ParseResult& args);

/// The system a model file records (System::describe()'s JSON: a built-in name with its
/// parameters, or the expressions); DataError naming `source` if it is malformed.
std::unique_ptr<System> system_from_description(const nlohmann::ordered_json& description,
                                                const std::string& source);

} // namespace flowkit::ode
