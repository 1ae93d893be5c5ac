// Random ensembles of initial conditions (CLI.md "integrate": --random-ics, --domain, --energy,
// --solve-for): uniform draws in a box, optionally put on an energy shell H = E.
#pragma once

#include "core/rng.hpp"
#include "io/cli.hpp"
#include "ode/system.hpp"

#include <optional>
#include <string>
#include <vector>

namespace flowkit::ode {

struct EnsembleSpec
{
    Index count = 0;               ///< initial conditions to draw
    std::vector<io::Range> domain; ///< a range per drawn state variable, in any order
    std::optional<double> energy;  ///< put each initial condition on H = energy ...
    std::string solve_for;         ///< ... by solving for this state variable (> 0)

    /// UsageError naming the option unless: count >= 1; each range names a state variable of
    /// `system`, once; every state variable but solve_for has a range and solve_for has none;
    /// energy and solve_for come together, the system has a Hamiltonian and solve_for is one
    /// of its state variables.
    void check(const System& system) const;
};

/// Draws spec.count initial conditions (spec.count x dim, columns in state order) after
/// spec.check(system).
///
/// Order of the draws: candidate k = 0, 1, 2, ... takes the next uniform numbers of `rng`, one
/// per state variable in state order (skipping solve_for), each uniform on [lo, hi) of its
/// range. Without an energy the candidates are the result. With one, solve_energy_shell puts
/// each candidate on H = energy; candidates without a positive root are discarded, and the
/// result is the first spec.count candidates that have one, in order. Candidates are solved in
/// fixed blocks of 1024 (so `rng` advances by whole blocks), which keeps every bit of the
/// result independent of spec.count: a larger count extends the same sequence.
///
/// ComputeError (naming energy and solve_for) once 1000 * (k + 1) candidates have been drawn
/// with only k of them on the shell, i.e. when fewer than one in 1000 has a root.
/// `candidates`, when given, receives the number of candidates the result used (the index of
/// the last one accepted, plus one).
Mat random_initial_conditions(const System& system, const EnsembleSpec& spec, Rng& rng,
                              Index* candidates = nullptr);

} // namespace flowkit::ode
