// Implicit methods: orders, quadratic invariants to round-off, gauss2 = implicit midpoint,
// bounded energy, Newton failure reported.
#include "blowup_system.hpp"
#include "core/error.hpp"
#include "problems.hpp"

#include <doctest/doctest.h>

#include <cmath>

using namespace flowkit;
using namespace flowkit::ode;

TEST_CASE("implicit methods reach their order on the harmonic oscillator")
{
    const struct
    {
        const char* method;
        int order;
        double h;
    } cases[] = {{"implicit-euler", 1, 0.01},
                 {"implicit-midpoint", 2, 0.01},
                 {"gauss2", 2, 0.01},
                 {"gauss4", 4, 0.1},
                 {"gauss6", 6, 0.25}};
    const auto sys = make_builtin_system("harmonic");
    for (const auto& c : cases) {
        CAPTURE(c.method);
        CHECK(make_stepper(c.method, *sys)->order() == c.order);
        CHECK(std::abs(test::observed_order_harmonic(c.method, c.h) - c.order) < 0.3);
    }
}

TEST_CASE("Gauss methods keep the harmonic oscillator's quadratic energy to round-off")
{
    const auto sys = make_builtin_system("harmonic");
    const Mat x0 = (Mat(1, 2) << 1, 0.5).finished();
    Vec h0, h;
    sys->H(x0, h0);
    for (const char* m : {"gauss2", "gauss4", "gauss6", "implicit-midpoint"}) {
        CAPTURE(m);
        auto stepper = make_stepper(m, *sys);
        const Mat x = test::integrate_to(*stepper, x0, 0, 1000, 0.1); // 10^4 steps
        sys->H(x, h);
        // Round-off only: ~1e-16 per step accumulating like a random walk (~1e-14); the
        // method's own truncation would give ~1e-3 (gauss2) to ~1e-9 (gauss6) if the invariant
        // were not kept.
        CHECK(std::abs(h(0) - h0(0)) < 2e-13);
    }
    // Implicit Euler is not symplectic: it damps.
    auto ie = make_stepper("implicit-euler", *sys);
    sys->H(test::integrate_to(*ie, x0, 0, 10, 0.1), h);
    CHECK(h(0) < 0.7 * h0(0));
}

TEST_CASE("gauss2 is the implicit midpoint rule")
{
    const auto sys = make_builtin_system("double-pendulum");
    const Mat x0 = (Mat(2, 4) << 0.5, 1.0, 0.1, -0.2, 1.0, -0.5, 0.3, 0.4).finished();
    auto g2 = make_stepper("gauss2", *sys);
    auto im = make_stepper("implicit-midpoint", *sys);
    CHECK((test::integrate_to(*g2, x0, 0, 5, 0.05) - test::integrate_to(*im, x0, 0, 5, 0.05))
              .norm() == 0.0);
}

TEST_CASE("gauss4 keeps the Henon-Heiles energy bounded over T = 1000 - gauss6 the double pendulum's")
{
    const auto hh = make_builtin_system("henon-heiles");
    const Mat x0 = (Mat(1, 4) << 0, 0.1, 0.5, 0).finished();
    Vec h0, h;
    hh->H(x0, h0);
    auto g4 = make_stepper("gauss4", *hh);
    IntegrateSettings s;
    s.t1 = 1000;
    s.dt = 0.1;
    s.output.every = 10;
    double early = 0, late = 0;
    Mat x = x0;
    integrate_fixed(*g4, x, s, [&](const std::vector<Index>&, const Vec& t, const Mat& xs) {
        hh->H(xs, h);
        double& worst = t(0) <= 100 ? early : late;
        worst = std::max(worst, std::abs(h(0) - h0(0)));
    });
    CHECK(late < 2 * early);
    CHECK(late < 1e-6);

    // A non-separable system: gauss6 conserves its energy to ~1e-10 over 200 time units.
    const auto dp = make_builtin_system("double-pendulum");
    const Mat y0 = (Mat(1, 4) << 1.0, 0.5, 0.0, 0.0).finished();
    auto g6 = make_stepper("gauss6", *dp);
    dp->H(y0, h0);
    dp->H(test::integrate_to(*g6, y0, 0, 200, 0.02), h);
    CHECK(std::abs(h(0) - h0(0)) < 1e-10);
}

TEST_CASE("Newton failure is an error with the time, never silent")
{
    test::Blowup blowup;
    auto stepper = make_stepper("gauss4", blowup);
    // x' = x^2 from 1 with h = 2: the stage equations have no real solution.
    CHECK_THROWS_WITH_AS(test::integrate_to(*stepper, Mat::Ones(1, 1), 0, 4, 2.0),
                         doctest::Contains("at t=0"), ComputeError);
}
