// dopri5: global error follows the tolerance, dense output, per-row step control, failures.
#include "blowup_system.hpp"
#include "core/error.hpp"
#include "problems.hpp"

#include <doctest/doctest.h>

#include <cmath>

using namespace flowkit;
using namespace flowkit::ode;

namespace {

/// The rows dopri5 writes over [t0, t1], and its statistics.
struct Recorded : test::Recorder
{
    IntegrateStats stats;
};

Recorded run_dopri5(const System& sys, Mat x, IntegrateSettings s, double rtol, double atol)
{
    Dopri5 stepper(sys, rtol, atol);
    Recorded rec;
    rec.stats = integrate_adaptive(stepper, x, s, rec.observer());
    return rec;
}

} // namespace

TEST_CASE("dopri5 on Kepler e = 0.5: the global error after one period scales with rtol")
{
    const auto sys = make_builtin_system("kepler");
    const Mat x0 = test::kepler_pericentre(0.5);
    IntegrateSettings s;
    s.t1 = 2 * M_PI;
    std::vector<double> errors;
    for (double rtol : {1e-6, 1e-8, 1e-10}) {
        CAPTURE(rtol);
        const Recorded rec = run_dopri5(*sys, x0, s, rtol, rtol * 1e-3);
        REQUIRE(rec.t.back() == s.t1);
        const double err = (rec.x.back() - x0.row(0)).norm();
        CHECK(err < 1000 * rtol);
        errors.push_back(err);
    }
    // Each tolerance ratio is 100: the error ratio is within a factor 10 of it.
    for (std::size_t i = 0; i + 1 < errors.size(); ++i) {
        const double ratio = errors[i] / errors[i + 1];
        CAPTURE(ratio);
        CHECK(ratio > 10);
        CHECK(ratio < 1000);
    }
}

TEST_CASE("dopri5 dense output matches the exact solution between steps")
{
    const auto sys = make_builtin_system("harmonic");
    IntegrateSettings s;
    s.t1 = 10;
    s.dt = 0.5;
    s.output.output_dt = 0.1;
    const Recorded rec = run_dopri5(*sys, (Mat(1, 2) << 1, 0).finished(), s, 1e-10, 1e-12);
    REQUIRE(rec.t.size() == 101);
    double worst = 0;
    for (std::size_t k = 0; k < rec.t.size(); ++k) {
        CHECK(rec.t[k] == 0.1 * static_cast<double>(k) + (k == 100 ? 10 - 0.1 * 100 : 0.0));
        worst = std::max(worst, (rec.x[k] - test::harmonic_exact(rec.t[k]).row(0)).norm());
    }
    // The continuous extension is 4th order; at these tolerances its error is ~1e-9, while a
    // linear interpolation between steps (~0.3 apart) would be off by ~1e-2.
    CHECK(worst < 1e-8);
}

TEST_CASE("dopri5: each trajectory keeps its own step size")
{
    const auto sys = make_builtin_system("kepler");
    IntegrateSettings s;
    s.t1 = 2 * M_PI;
    s.output.every = 7;
    Mat batch(2, 4);
    batch << test::kepler_pericentre(0.1), test::kepler_pericentre(0.97);
    const Recorded both = run_dopri5(*sys, batch, s, 1e-9, 1e-12);
    const Recorded easy = run_dopri5(*sys, batch.topRows(1), s, 1e-9, 1e-12);
    std::vector<Eigen::RowVectorXd> easy_in_batch;
    std::vector<double> t_in_batch;
    for (std::size_t k = 0; k < both.rows.size(); ++k)
        if (both.rows[k] == 0) {
            easy_in_batch.push_back(both.x[k]);
            t_in_batch.push_back(both.t[k]);
        }
    // The easy orbit is stepped exactly as when it is alone: same step times, same states (up
    // to how the compiler fuses multiply-adds for one row or two).
    REQUIRE(easy_in_batch.size() == easy.x.size());
    for (std::size_t k = 0; k < easy.x.size(); ++k) {
        CHECK(t_in_batch[k] == easy.t[k]);
        CHECK((easy_in_batch[k] - easy.x[k]).norm() <= 1e-14);
    }
    // ... and needs far fewer steps than the eccentric one.
    CHECK(easy.stats.steps * 2 < both.stats.steps - easy.stats.steps);
}

TEST_CASE("dopri5 failures name the time: step budget and step-size underflow")
{
    const auto sys = make_builtin_system("kepler");
    IntegrateSettings s;
    s.t1 = 2 * M_PI;
    s.max_steps = 20;
    CHECK_THROWS_WITH_AS(run_dopri5(*sys, test::kepler_pericentre(0.5), s, 1e-10, 1e-13),
                         doctest::Contains("--max-steps"), ComputeError);

    test::Blowup blowup;
    s.t1 = 2;
    s.max_steps = 1000000;
    // x = 1/(1 - t): the step size collapses at the pole, and the message says where.
    try {
        run_dopri5(blowup, Mat::Ones(1, 1), s, 1e-6, 1e-9);
        FAIL("no error");
    } catch (const ComputeError& e) {
        const std::string what = e.what();
        CHECK(what.find("step size underflow") != std::string::npos);
        const auto at = what.find("at t=");
        REQUIRE(at != std::string::npos);
        CHECK(std::stod(what.substr(at + 5)) == doctest::Approx(1.0).epsilon(1e-4));
    }
}
