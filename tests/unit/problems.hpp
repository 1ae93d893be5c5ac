// Shared fixtures: systems with exact solutions or invariants, and a helper that integrates
// one batch to a final time with any stepper.
#pragma once

#include "ode/builtin_systems.hpp"
#include "ode/integrate.hpp"
#include "ode/steppers.hpp"

#include <cmath>

namespace flowkit::test {

/// Harmonic oscillator (omega = 1) from (q, p) = (1, 0): exact state (cos t, -sin t).
inline Mat harmonic_exact(double t) { return (Mat(1, 2) << std::cos(t), -std::sin(t)).finished(); }

/// Kepler orbit with eccentricity e from pericentre: q = (1 - e, 0), p = (0, sqrt((1+e)/(1-e))).
/// Semi-major axis 1, so the period is 2 pi.
inline Mat kepler_pericentre(double e)
{
    return (Mat(1, 4) << 1 - e, 0, 0, std::sqrt((1 + e) / (1 - e))).finished();
}

/// Every row an integrate loop writes, in order.
struct Recorder
{
    std::vector<Index> rows;
    std::vector<double> t;
    std::vector<Eigen::RowVectorXd> x;

    ode::Observer observer()
    {
        return [this](const std::vector<Index>& r, const Vec& tv, const Mat& xs) {
            for (Index k = 0; k < xs.rows(); ++k) {
                rows.push_back(r[static_cast<std::size_t>(k)]);
                t.push_back(tv(k));
                x.push_back(xs.row(k));
            }
        };
    }
};

/// Integrates x from t0 to t1 with fixed steps and returns the final state.
inline Mat integrate_to(ode::Stepper& stepper, Mat x, double t0, double t1, double dt)
{
    ode::IntegrateSettings s;
    s.t0 = t0;
    s.t1 = t1;
    s.dt = dt;
    ode::integrate_fixed(stepper, x, s, [](const std::vector<Index>&, const Vec&, const Mat&) {});
    return x;
}

/// log2(e(h) / e(h/2)) for `method` on the harmonic oscillator from (1, 0) to t = 2, with e the
/// distance to the exact solution: the observed order of convergence.
inline double observed_order_harmonic(const char* method, double h)
{
    const auto sys = ode::make_builtin_system("harmonic");
    auto stepper = ode::make_stepper(method, *sys);
    const double T = 2.0;
    const Mat x0 = (Mat(1, 2) << 1, 0).finished();
    const double e1 = (integrate_to(*stepper, x0, 0, T, h) - harmonic_exact(T)).norm();
    const double e2 = (integrate_to(*stepper, x0, 0, T, h / 2) - harmonic_exact(T)).norm();
    return std::log2(e1 / e2);
}

} // namespace flowkit::test
