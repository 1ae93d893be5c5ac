#include "ode/energy_shell.hpp"

#include <cmath>

namespace flowkit::ode {

namespace {

constexpr int grid_min_exponent = -30;
constexpr int grid_max_exponent = 64;
// Bisection from [0, 2^-30] reaches adjacent doubles within 1074 - 30 + 53 halvings.
constexpr int max_bisections = 1200;

/// f(i) = H(x_r with column var = s(i)) - energy for the rows r = rows[i].
void shell_residual(const System& system, double energy, Index var, const Mat& x,
                    const std::vector<Index>& rows, const Vec& s, Mat& work, Vec& f)
{
    work = x(rows, Eigen::all);
    work.col(var) = s;
    system.H(work, f);
    f.array() -= energy;
}

bool opposite(double u, double v) { return (u < 0 && v > 0) || (u > 0 && v < 0); }

} // namespace

Index solve_energy_shell(const System& system, double energy, Index var, Mat& x,
                         std::vector<bool>& found)
{
    const Index n = x.rows();
    found.assign(static_cast<std::size_t>(n), false);
    Vec a = Vec::Zero(n), b = Vec::Zero(n), fa = Vec::Zero(n), fb = Vec::Zero(n);
    Vec root = Vec::Zero(n);
    Vec prev_s = Vec::Zero(n), prev_f = Vec::Constant(n, std::nan(""));
    std::vector<Index> searching(static_cast<std::size_t>(n)), bisecting, next;
    for (Index i = 0; i < n; ++i)
        searching[static_cast<std::size_t>(i)] = i;
    Mat work;
    Vec s, f;
    Index count = 0;

    // Bracket: first sign change of f along 0, 2^-30, ..., 2^64.
    for (int k = grid_min_exponent - 1; k <= grid_max_exponent && !searching.empty(); ++k) {
        const double g = k < grid_min_exponent ? 0.0 : std::ldexp(1.0, k);
        s = Vec::Constant(static_cast<Index>(searching.size()), g);
        shell_residual(system, energy, var, x, searching, s, work, f);
        next.clear();
        for (std::size_t j = 0; j < searching.size(); ++j) {
            const Index i = searching[j];
            const double fi = f(static_cast<Index>(j));
            if (std::isnan(fi)) {
                next.push_back(i);
                continue;
            }
            if (fi == 0 && g > 0) {
                root(i) = g;
                found[static_cast<std::size_t>(i)] = true;
                ++count;
            } else if (opposite(prev_f(i), fi)) {
                a(i) = prev_s(i), fa(i) = prev_f(i);
                b(i) = g, fb(i) = fi;
                bisecting.push_back(i);
            } else {
                prev_s(i) = g, prev_f(i) = fi;
                next.push_back(i);
            }
        }
        searching.swap(next);
    }

    // Bisection on [a, b] with f(a), f(b) of opposite signs, down to adjacent doubles.
    for (int iter = 0; iter < max_bisections && !bisecting.empty(); ++iter) {
        next.clear();
        for (const Index i : bisecting) {
            const double mid = a(i) + 0.5 * (b(i) - a(i));
            if (mid <= a(i) || mid >= b(i)) {
                root(i) = a(i) > 0 && std::abs(fa(i)) < std::abs(fb(i)) ? a(i) : b(i);
                found[static_cast<std::size_t>(i)] = true;
                ++count;
            } else
                next.push_back(i);
        }
        bisecting.swap(next);
        if (bisecting.empty())
            break;
        s.resize(static_cast<Index>(bisecting.size()));
        for (std::size_t j = 0; j < bisecting.size(); ++j) {
            const Index i = bisecting[j];
            s(static_cast<Index>(j)) = a(i) + 0.5 * (b(i) - a(i));
        }
        shell_residual(system, energy, var, x, bisecting, s, work, f);
        next.clear();
        for (std::size_t j = 0; j < bisecting.size(); ++j) {
            const Index i = bisecting[j];
            const double m = s(static_cast<Index>(j)), fm = f(static_cast<Index>(j));
            if (std::isnan(fm))
                continue; // f is undefined inside the bracket: no root for this row
            if (fm == 0) {
                root(i) = m;
                found[static_cast<std::size_t>(i)] = true;
                ++count;
                continue;
            }
            if (opposite(fa(i), fm))
                b(i) = m, fb(i) = fm;
            else
                a(i) = m, fa(i) = fm;
            next.push_back(i);
        }
        bisecting.swap(next);
    }

    for (Index i = 0; i < n; ++i)
        if (found[static_cast<std::size_t>(i)])
            x(i, var) = root(i);
    return count;
}

} // namespace flowkit::ode
