// ObservedRk, the per-row solver of Neural ODE and CNF training: dopri5's continuous extension
// against polynomial solutions it must reproduce exactly, and the states at irregular
// observation times, landed on or interpolated, against the exact harmonic oscillator.
#include "ode/observed_rk.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

using namespace flowkit;

namespace {

/// Two rows observed at times of their own; the second runs backward in time.
ode::ObservationTimes two_rows()
{
    ode::ObservationTimes times;
    times.t.resize(8);
    times.t << 0.0, 0.3, 0.31, 0.9, 2.0, /**/ 1.0, 0.4, -1.5;
    times.start = {0, 5, 8};
    return times;
}

/// The rows' starting states.
Mat two_starts()
{
    Mat x0(2, 2);
    x0 << 1.0, 0.0, /**/ 0.3, -0.8;
    return x0;
}

/// The harmonic oscillator q' = p, p' = -q, row by row.
void oscillator(const Mat& Y, Mat& K)
{
    K.resize(Y.rows(), 2);
    K.col(0) = Y.col(1);
    K.col(1) = -Y.col(0);
}

ode::SolverSettings tight()
{
    ode::SolverSettings settings;
    settings.rtol = 1e-9;
    settings.atol = 1e-12;
    return settings;
}

/// Runs the solver and returns every observation's state (the layout of times.t), and how many
/// observations were interpolated.
Mat solve(ode::ObservedRk& rk, const ode::ObservationTimes& times, Mat x,
          const ode::ObservedRk::StageFn& f, Index& passed)
{
    Mat states(times.t.size(), x.cols());
    for (Index r = 0; r < times.rows(); ++r)
        states.row(times.first(r)) = x.row(r);
    passed = 0;
    rk.run(times, x, f, [&](const ode::ObservedRk::Step& step, Mat& xs) {
        for (Index r = 0; r < xs.rows(); ++r)
            if (step.landed[std::size_t(r)] >= 0)
                states.row(step.landed[std::size_t(r)]) = xs.row(r);
        for (std::size_t p = 0; p < step.passed.size(); ++p)
            states.row(step.passed[p].observation) = step.passed_states.row(Index(p));
        passed += Index(step.passed.size());
    });
    return states;
}

} // namespace

TEST_CASE("dopri5's dense weights: w(0) = 0, w(1) = b, and they sum to theta")
{
    const ode::RkScheme s = ode::rk_scheme("dopri5");
    REQUIRE(s.has_dense_output());
    Eigen::RowVectorXd w(s.b.size());
    const auto dense_weights = [&](double theta) { // RkScheme::dense_terms' combination
        const ode::RkScheme::DenseTerms a = ode::RkScheme::dense_terms(theta);
        w = a.alpha * s.b.transpose() + a.beta * s.d.transpose();
        w(0) += a.gamma;
        w(w.size() - 1) -= a.delta;
    };
    dense_weights(0.0);
    CHECK(w.cwiseAbs().maxCoeff() == 0.0);
    dense_weights(1.0);
    CHECK((w - s.b.transpose()).cwiseAbs().maxCoeff() < 1e-15);
    for (const double theta : {0.1, 0.5, 0.77}) { // x' = 1 from x = 0 gives theta h
        dense_weights(theta);
        CHECK(w.sum() == doctest::Approx(theta).epsilon(1e-14));
    }
    CHECK_FALSE(ode::rk_scheme("rk4").has_dense_output());
}

TEST_CASE("dopri5's dense output reproduces solutions that are polynomials of degree up to 4")
{
    // x' = k t^(k-1), x(0) = 0: x = t^k. The embedded error is zero, so the steps grow tenfold
    // and pass the observations in between; the continuous extension has order 4.
    ode::ObservationTimes times;
    times.t.resize(5);
    times.t << 0.0, 0.13, 0.5, 0.71, 1.0;
    times.start = {0, 5};
    for (int k = 1; k <= 4; ++k) {
        CAPTURE(k);
        ode::ObservedRk rk(ode::rk_scheme("dopri5"), {}, /*fsal=*/true, /*dense=*/true);
        const auto f = [k](int, const Vec& t, const Vec&, const Mat&, Mat& K) {
            K.resize(t.size(), 1);
            for (Index r = 0; r < t.size(); ++r)
                K(r, 0) = k * std::pow(t(r), k - 1);
        };
        Index passed = 0;
        const Mat states = solve(rk, times, Mat::Zero(1, 1), f, passed);
        CHECK(passed >= 1);
        for (Index i = 0; i < times.t.size(); ++i)
            CHECK(states(i, 0) == doctest::Approx(std::pow(times.t(i), k)).epsilon(1e-13));
    }
}

TEST_CASE("ObservedRk: harmonic oscillator states at irregular times, landed on or interpolated")
{
    const ode::ObservationTimes times = two_rows();
    const Mat x0 = two_starts();
    const auto f = [](int, const Vec&, const Vec&, const Mat& Y, Mat& K) { oscillator(Y, K); };
    const ode::SolverSettings settings = tight();
    for (const bool dense : {false, true}) {
        CAPTURE(dense);
        ode::ObservedRk rk(ode::rk_scheme("dopri5"), settings, /*fsal=*/true, dense);
        Index passed = 0;
        const Mat states = solve(rk, times, x0, f, passed);
        CHECK((passed > 0) == dense);
        double err = 0;
        for (Index r = 0; r < times.rows(); ++r) {
            const double t0 = times.t(times.first(r));
            for (Index i = times.first(r); i <= times.last(r); ++i) {
                const double s = times.t(i) - t0, c = std::cos(s), sn = std::sin(s);
                err = std::max(err, std::abs(states(i, 0) - (c * x0(r, 0) + sn * x0(r, 1))));
                err = std::max(err, std::abs(states(i, 1) - (-sn * x0(r, 0) + c * x0(r, 1))));
            }
        }
        CHECK(err < 1e-8);
        CHECK(err > 0);
    }
}

TEST_CASE("ObservedRk: a row that is done leaves the stages, and the rows' states are unchanged")
{
    // Row 0 is observed once after its start, row 1 three times: rk4 takes one step for row 0
    // and three for row 1, so the stages see 2 + 1 + 1 rows (4 stages each), not 3 x 2. Each
    // row's states equal those of the row solved alone, bit for bit.
    ode::ObservationTimes times;
    times.t.resize(6);
    times.t << 0.0, 0.5, /**/ 1.0, 1.4, 1.9, 2.5;
    times.start = {0, 2, 6};
    const Mat x0 = two_starts();
    Index rows_seen = 0;
    std::vector<Index> rows_of_call;
    ode::ObservedRk rk(ode::rk_scheme("rk4"), {}, /*fsal=*/false, /*dense=*/false);
    const auto f = [&](int, const Vec& t, const Vec& h, const Mat& Y, Mat& K) {
        REQUIRE(t.size() == Y.rows());
        REQUIRE(h.size() == Y.rows());
        CHECK(h.cwiseAbs().minCoeff() > 0);
        rows_seen += Y.rows();
        rows_of_call.push_back(rk.moving_rows().back());
        K.resize(Y.rows(), 2); // x' = (t y, -x): time-dependent, so the times must follow the rows
        K.col(0) = t.cwiseProduct(Y.col(1));
        K.col(1) = -Y.col(0);
    };
    Index passed = 0;
    const Mat states = solve(rk, times, x0, f, passed);
    CHECK(rows_seen == 4 * (2 + 1 + 1));
    CHECK(rk.evaluations() == rows_seen);
    CHECK(rows_of_call.back() == 1);

    for (Index r = 0; r < 2; ++r) {
        ode::ObservationTimes alone;
        alone.t = times.t.segment(times.first(r), times.count(r));
        alone.start = {0, times.count(r)};
        ode::ObservedRk rk_alone(ode::rk_scheme("rk4"), {}, false, false);
        const auto g = [&](int, const Vec& t, const Vec&, const Mat& Y, Mat& K) {
            K.resize(Y.rows(), 2);
            K.col(0) = t.cwiseProduct(Y.col(1));
            K.col(1) = -Y.col(0);
        };
        const Mat want = solve(rk_alone, alone, x0.row(r), g, passed);
        CHECK(states.middleRows(times.first(r), times.count(r)) == want);
    }
}

TEST_CASE("ObservedRk: dopri5 counts the evaluations of each row, the sum of the rows solved alone")
{
    // The rows of two_rows() need different numbers of steps, so some calls evaluate one row:
    // the count is per row evaluated (node-fit's evaluations per trajectory), not per call.
    const ode::ObservationTimes times = two_rows();
    const Mat x0 = two_starts();
    long calls = 0, rows_seen = 0;
    const auto f = [&](int, const Vec&, const Vec&, const Mat& Y, Mat& K) {
        ++calls;
        rows_seen += Y.rows();
        oscillator(Y, K);
    };
    const ode::SolverSettings settings = tight();
    ode::ObservedRk rk(ode::rk_scheme("dopri5"), settings, /*fsal=*/true, /*dense=*/false);
    Index passed = 0;
    solve(rk, times, x0, f, passed);
    CHECK(rk.evaluations() == rows_seen);
    CHECK(rows_seen < 2 * calls);

    long alone_sum = 0;
    for (Index r = 0; r < 2; ++r) {
        ode::ObservationTimes alone;
        alone.t = times.t.segment(times.first(r), times.count(r));
        alone.start = {0, times.count(r)};
        ode::ObservedRk rk_alone(ode::rk_scheme("dopri5"), settings, true, false);
        solve(rk_alone, alone, x0.row(r), f, passed);
        alone_sum += rk_alone.evaluations();
    }
    CHECK(rk.evaluations() == alone_sum);
}

TEST_CASE("ObservedRk: euler, midpoint and rk4 multiply x' = lambda x by their stability "
          "polynomials, step by step")
{
    // One step of size h multiplies x by R(h lambda): 1 + z, 1 + z + z^2/2 (midpoint's b_1 = 0:
    // the first stage enters through the second's input only) and the Taylor polynomial to z^4.
    // Two rows, one backward in time, two steps per interval of their own lengths.
    const ode::ObservationTimes times = two_rows();
    const double lambda = -0.7;
    const auto f = [&](int, const Vec&, const Vec&, const Mat& Y, Mat& K) { K = lambda * Y; };
    const Mat x0 = two_starts();
    const std::pair<std::string, int> methods[] = {{"euler", 1}, {"midpoint", 2}, {"rk4", 4}};
    for (const auto& [method, order] : methods) {
        CAPTURE(method);
        ode::SolverSettings settings;
        settings.method = method;
        settings.steps_per_interval = 2;
        ode::ObservedRk rk(ode::rk_scheme(method), settings, /*fsal=*/true, /*dense=*/true);
        Index passed = 0;
        const Mat states = solve(rk, times, x0, f, passed);
        CHECK(passed == 0);
        for (Index r = 0; r < times.rows(); ++r) {
            Eigen::RowVectorXd x = x0.row(r);
            for (Index i = times.first(r) + 1; i <= times.last(r); ++i) {
                const double z = lambda * (times.t(i) - times.t(i - 1)) / 2;
                double R = 1, term = 1;
                for (int k = 1; k <= order; ++k)
                    R += term *= z / k;
                x *= R * R;
                // rounding only: a wrong weight is off by z^(order + 1) ~ 1e-3 or more
                CHECK((states.row(i) - x).cwiseAbs().maxCoeff() < 1e-14);
            }
        }
    }
}
