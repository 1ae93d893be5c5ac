// Observed orders of every fixed-step method, and the structure of the symplectic ones.
#include "core/error.hpp"
#include "ode/symplectic.hpp"
#include "problems.hpp"

#include <doctest/doctest.h>

#include <cmath>

using namespace flowkit;
using namespace flowkit::ode;

TEST_CASE("fixed-step methods reach their order on the harmonic oscillator")
{
    // Step sizes keep the error well above round-off at h/2 for each order.
    const struct
    {
        const char* method;
        int order;
        double h;
    } cases[] = {{"euler", 1, 0.01},   {"midpoint", 2, 0.01},         {"rk4", 4, 0.05},
                 {"dopri5", 5, 0.1},   {"symplectic-euler", 1, 0.01}, {"verlet", 2, 0.01},
                 {"yoshida4", 4, 0.05}};
    const auto sys = make_builtin_system("harmonic");
    for (const auto& c : cases) {
        CAPTURE(c.method);
        CHECK(make_stepper(c.method, *sys)->order() == c.order);
        CHECK(std::abs(test::observed_order_harmonic(c.method, c.h) - c.order) < 0.3);
    }
}

TEST_CASE("a batch steps each row as if alone, and backward integration returns")
{
    const auto sys = make_builtin_system("pendulum");
    auto stepper = make_stepper("rk4", *sys);
    const Mat batch = (Mat(3, 2) << 1, 0, 0.5, 0.5, -2, 1).finished();
    const Mat together = test::integrate_to(*stepper, batch, 0, 3, 0.01);
    for (Index i = 0; i < 3; ++i) {
        const Mat alone = test::integrate_to(*stepper, batch.row(i), 0, 3, 0.01);
        // Alone it takes the fixed-size fast path; only fused multiply-adds may differ.
        CHECK((alone - together.row(i)).norm() <= 1e-14);
    }
    // Forward then backward with a 4th-order method: back to the start up to O(h^4) T.
    const Mat back = test::integrate_to(*stepper, together, 3, 0, 0.01);
    CHECK((back - batch).norm() < 1e-8);
}

TEST_CASE("symplectic methods refuse what is not a separable Hamiltonian")
{
    const auto lorenz = make_builtin_system("lorenz");
    const auto dp = make_builtin_system("double-pendulum");
    for (const char* m : {"symplectic-euler", "verlet", "yoshida4"}) {
        CHECK_THROWS_AS(make_stepper(m, *lorenz), UsageError);
        CHECK_THROWS_AS(make_stepper(m, *dp), UsageError);
    }
    CHECK_THROWS_WITH_AS(make_stepper("rk5", *lorenz), doctest::Contains("unknown method"),
                         UsageError);
}

namespace {

/// Largest |H - H0| of Henon-Heiles from (0, 0.1, 0.5, 0) with step 0.05, sampled every time
/// unit, over t <= 100 (early) and t > 100 (late).
std::pair<double, double> henon_heiles_energy_errors(const char* method)
{
    const auto sys = make_builtin_system("henon-heiles");
    const Mat x0 = (Mat(1, 4) << 0, 0.1, 0.5, 0).finished();
    Vec h0, h;
    sys->H(x0, h0);
    auto stepper = make_stepper(method, *sys);
    IntegrateSettings s;
    s.t1 = 1000;
    s.dt = 0.05;
    s.output.every = 20;
    double early = 0, late = 0;
    Mat x = x0;
    integrate_fixed(*stepper, x, s, [&](const std::vector<Index>&, const Vec& t, const Mat& xs) {
        sys->H(xs, h);
        double& worst = t(0) <= 100 ? early : late;
        worst = std::max(worst, std::abs(h(0) - h0(0)));
    });
    return {early, late};
}

} // namespace

TEST_CASE("verlet and yoshida4 keep the Henon-Heiles energy bounded without drift over T = 1000")
{
    // Bounded: the largest error after t = 100 is below twice the largest before. A drifting
    // method grows linearly, by ~10 over the run: rk4 at the same step fails the check.
    for (const char* m : {"verlet", "yoshida4"}) {
        CAPTURE(m);
        const auto [early, late] = henon_heiles_energy_errors(m);
        CHECK(late < 2 * early);
        CHECK(late < (std::string(m) == "verlet" ? 1e-3 : 1e-5));
    }
    const auto [early, late] = henon_heiles_energy_errors("rk4");
    CHECK(late > 5 * early);
}
