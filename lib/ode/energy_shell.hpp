// States on an energy shell H = E (CLI.md "integrate": --energy, --solve-for): one state
// variable is solved for so that the Hamiltonian takes a given value, row by row.
#pragma once

#include "ode/system.hpp"

#include <vector>

namespace flowkit::ode {

/// For each row i of x (n x dim), looks for s > 0 with H(x_i with column `var` set to s) = energy
/// and writes it to x(i, var). The other columns are left as they are.
///
/// Search, with f(s) = H - energy: the first sign change of f along 0, 2^-30, 2^-29, ..., 2^64
/// (points where f is NaN are skipped; f(0) = 0 is not a sign change, since s must be > 0),
/// then bisection down to adjacent doubles; the end with the smaller |f| is the root. So the
/// root found is the smallest positive one unless two roots fall between grid points; its
/// relative error is an ulp or two of s, and |f| is about |df/ds| times that.
///
/// found[i] (resized to n) says whether row i has a root; where it has none, x(i, var) is
/// unspecified. Returns the number of rows with a root. Throws if the system has no
/// Hamiltonian (as System::H does).
Index solve_energy_shell(const System& system, double energy, Index var, Mat& x,
                         std::vector<bool>& found);

} // namespace flowkit::ode
