// The integrate loop: step count and times, output schedules, divergence.
#include "blowup_system.hpp"
#include "core/error.hpp"
#include "problems.hpp"

#include <doctest/doctest.h>

using namespace flowkit;
using namespace flowkit::ode;

namespace {

/// The rows written by fixed-step `method` on sys from x.
test::Recorder run(const char* method, const System& sys, Mat x, const IntegrateSettings& s)
{
    auto stepper = make_stepper(method, sys);
    test::Recorder out;
    integrate_fixed(*stepper, x, s, out.observer());
    return out;
}

} // namespace

TEST_CASE("fixed steps: t = t0 + k h, and the last step lands on t1")
{
    const auto sys = make_builtin_system("harmonic");
    const Mat x0 = (Mat(1, 2) << 1, 0).finished();
    IntegrateSettings s;
    s.t1 = 1;
    s.dt = 0.1; // 1/0.1 is not exactly 10 in binary, but within 1e-9: exactly 10 steps
    test::Recorder o = run("rk4", *sys, x0, s);
    REQUIRE(o.t.size() == 11);
    for (int k = 0; k < 10; ++k)
        CHECK(o.t[static_cast<std::size_t>(k)] == k * 0.1);
    CHECK(o.t.back() == 1.0);

    s.dt = 0.3; // not a divisor: 0, 0.3, 0.6, 0.9 and a shortened step to 1
    o = run("rk4", *sys, x0, s);
    CHECK(o.t == std::vector<double>{0, 0.3, 2 * 0.3, 3 * 0.3, 1});

    s.dt = 0.1;
    s.output.every = 3; // steps 0, 3, 6, 9, and the final one
    o = run("rk4", *sys, x0, s);
    CHECK(o.t == std::vector<double>{0, 3 * 0.1, 6 * 0.1, 9 * 0.1, 1});
}

TEST_CASE("dense output of fixed-step methods (cubic Hermite) and per-trajectory times")
{
    const auto sys = make_builtin_system("harmonic");
    Mat x0(2, 2);
    x0 << 1, 0, 0, 1; // second row: (sin t, cos t)
    IntegrateSettings s;
    s.t1 = 2;
    s.dt = 0.01;
    s.output.times = {{0.005, 1.234567, 2}, {0.5}};
    const test::Recorder o = run("rk4", *sys, x0, s);
    REQUIRE(o.t == std::vector<double>{0.005, 0.5, 1.234567, 2});
    CHECK(o.rows == std::vector<Index>{0, 1, 0, 0});
    for (std::size_t k = 0; k < o.t.size(); ++k) {
        const double t = o.t[k];
        const Eigen::RowVector2d exact = o.rows[k] == 0 ? Eigen::RowVector2d(std::cos(t), -std::sin(t))
                                                        : Eigen::RowVector2d(std::sin(t), std::cos(t));
        // Hermite error ~ h^4/384 |x''''| ~ 3e-11; a linear interpolation would be ~1e-5 off.
        CHECK((o.x[k] - exact).norm() < 1e-9);
    }

    s.output.times.clear();
    s.output.output_dt = 0.3; // 0, 0.3, ..., 1.8 and the final 2
    const test::Recorder g = run("verlet", *sys, x0.topRows(1), s);
    REQUIRE(g.t.size() == 8);
    CHECK(g.t[6] == 6 * 0.3);
    CHECK(g.t[7] == 2.0);
}

TEST_CASE("a diverging run stops with the time where it diverged")
{
    test::Blowup blowup;
    IntegrateSettings s;
    s.t1 = 2;
    s.dt = 0.01;
    CHECK_THROWS_WITH_AS(run("rk4", blowup, Mat::Ones(1, 1), s), doctest::Contains("at t=1."),
                         ComputeError);
}

TEST_CASE("worker threads: the same bits and counts as one thread - errors cross threads")
{
    const auto sys = make_builtin_system("kepler");
    Mat x0 = Mat::Random(300, 4) * 0.2;
    x0.col(0).array() += 1.0;
    x0.col(3).array() += 1.0;
    IntegrateSettings s;
    s.t1 = 20;
    s.dt = 0.01; // 2000 steps x 300 rows: chunks big enough for threads
    s.output.every = 500;
    auto one = make_stepper("rk4", *sys);
    auto two = make_stepper("rk4", *sys);
    Mat a = x0, b = x0;
    const auto ignore = [](const std::vector<Index>&, const Vec&, const Mat&) {};
    const IntegrateStats sa = integrate_fixed(*one, a, s, ignore);
    s.threads = 2;
    const IntegrateStats sb = integrate_fixed(*two, b, s, ignore);
    CHECK((a - b).norm() == 0.0);
    CHECK(sa.evaluations == sb.evaluations);
    CHECK(sb.evaluations == 4 * 2000 * 300);

    // A Newton failure inside a worker thread reaches the caller as the same ComputeError.
    test::Blowup blowup;
    auto gauss = make_stepper("gauss4", blowup);
    Mat ones = Mat::Ones(400, 1);
    s.t1 = 1000;
    s.dt = 2.0;
    CHECK_THROWS_AS(integrate_fixed(*gauss, ones, s, ignore), ComputeError);
}
