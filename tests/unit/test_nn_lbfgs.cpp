// lib/nn L-BFGS: an ill-conditioned quadratic and Rosenbrock against Adam, the strong Wolfe
// conditions at every accepted step, resume from a saved state, non-finite regions, flat and
// unbounded objectives, bad parameters, and what the memory buys.
#include "core/error.hpp"
#include "core/rng.hpp"
#include "nn/adam.hpp"
#include "nn/lbfgs.hpp"
#include "objectives.hpp"
#include "random_matrix.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

using namespace flowkit;
using nn::LbfgsParams;
using nn::LbfgsStop;
using test::Flat;
using test::Linear;
using test::Quadratic;
using test::Rosenbrock;

namespace {

/// f = 1/2 (x - a)' A (x - a), A = Q diag(c) Q', Q a random rotation.
struct RotatedQuadratic : nn::Objective
{
    Mat A;
    Vec a;
    long long evaluations = 0;
    double evaluate_with_gradient(const Vec& x, Vec& g) override
    {
        ++evaluations;
        const Vec u = x - a;
        g = A * u;
        return 0.5 * u.dot(g);
    }
};

/// n eigenvalues spread logarithmically over [1, 10^decades]: c_i = 10^(decades i / (n - 1)).
Vec log_spread(Index n, double decades)
{
    Vec c(n);
    for (Index i = 0; i < n; ++i)
        c(i) = std::pow(10.0, decades * double(i) / double(n - 1));
    return c;
}

/// 50 dimensions, condition number 1e4, minimum a uniform on [-1, 1]^50.
Quadratic diagonal_quadratic(std::uint64_t seed)
{
    Rng rng(seed);
    Quadratic f;
    f.c = log_spread(50, 4.0);
    f.a.resize(f.c.size());
    for (Index i = 0; i < f.a.size(); ++i)
        f.a(i) = rng.uniform(-1.0, 1.0);
    return f;
}

/// The same spectrum turned by a random rotation: Adam, which rescales each coordinate, no
/// longer sees a diagonal problem.
RotatedQuadratic rotated_quadratic(std::uint64_t seed)
{
    Rng rng(seed);
    const Vec c = log_spread(50, 4.0);
    const Index n = c.size();
    RotatedQuadratic f;
    f.a.resize(n);
    for (Index i = 0; i < n; ++i)
        f.a(i) = rng.uniform(-1.0, 1.0);
    const Mat Q = Eigen::HouseholderQR<Mat>(test::random_mat(rng, n, n)).householderQ();
    f.A = Q * c.asDiagonal() * Q.transpose();
    return f;
}

/// Quadratic plus a quartic: f = 1/2 sum c_i u_i^2 + 1/4 sum u_i^4, u = x - a (not quadratic,
/// so the line search has real work to do).
struct Quartic : nn::Objective
{
    Vec c, a;
    double evaluate_with_gradient(const Vec& x, Vec& g) override
    {
        const Vec u = x - a;
        g = c.cwiseProduct(u) + u.array().cube().matrix();
        return 0.5 * u.cwiseAbs2().dot(c) + 0.25 * u.array().square().square().sum();
    }
};

/// f = 5 sum (x_i - 1)^2, not finite for x_0 > 1.5: f = +inf, or (nan_gradient) a NaN
/// gradient with a finite f.
struct Walled : nn::Objective
{
    bool nan_gradient = false;
    long long wall_hits = 0;
    double evaluate_with_gradient(const Vec& x, Vec& g) override
    {
        g = 10.0 * (x.array() - 1.0).matrix();
        if (x(0) > 1.5) {
            ++wall_hits;
            if (nan_gradient) {
                g(0) = std::numeric_limits<double>::quiet_NaN();
                return 0.0; // a finite f lower than the minimum: only g says "outside"
            }
            return std::numeric_limits<double>::infinity();
        }
        return 5.0 * (x.array() - 1.0).square().sum();
    }
};

std::string usage_message(const LbfgsParams& p)
{
    try {
        p.check();
    } catch (const UsageError& e) {
        return e.what();
    }
    return "";
}

/// Adam, lr 1e-2, for `epochs` steps from theta: the smallest ||theta - target||_inf seen after
/// any step, and the first epoch (= evaluations) at which it was below tol (-1: never).
struct AdamRun
{
    double best_error = std::numeric_limits<double>::infinity();
    long long epochs_to_tol = -1;
};
AdamRun run_adam(nn::Objective& f, Vec theta, const Vec& target, double tol, int epochs)
{
    nn::AdamParams p;
    p.lr = 1e-2;
    p.epochs = epochs;
    AdamRun r;
    nn::minimize_adam(f, theta, p, [&](int epoch, double) {
        const double error = (theta - target).lpNorm<Eigen::Infinity>();
        r.best_error = std::min(r.best_error, error);
        if (error < tol && r.epochs_to_tol < 0)
            r.epochs_to_tol = epoch;
        return false;
    });
    return r;
}

/// L-BFGS with default parameters but `memory`, from 0, until a stop.
struct LbfgsRun
{
    LbfgsStop stop = LbfgsStop::none;
    long long iterations = 0;
    long long evaluations = 0;
    double error = 0; ///< ||x - a||_inf
};
LbfgsRun run_lbfgs(nn::Objective& f, const Vec& a, int memory)
{
    LbfgsParams p;
    p.memory = memory;
    nn::Lbfgs lbfgs(p);
    Vec x = Vec::Zero(a.size());
    while (lbfgs.stop() == LbfgsStop::none && lbfgs.state().iterations < 100000)
        lbfgs.step(f, x);
    LbfgsRun r;
    r.stop = lbfgs.stop();
    r.iterations = lbfgs.state().iterations;
    r.evaluations = lbfgs.evaluations();
    r.error = (x - a).lpNorm<Eigen::Infinity>();
    return r;
}

} // namespace

TEST_CASE("nn lbfgs: ill-conditioned quadratic in 50 dimensions, far fewer evaluations than Adam")
{
    // Rotated, condition number 1e4: 1047 iterations, 1115 evaluations (the unit step is
    // nearly always accepted at once) to ||g|| <= 1e-9 max(1, ||x||), error 1.1e-10; other
    // compilers and flags change the rounding and these counts by ~10%. Adam (lr 1e-2) with
    // 10x as many evaluations never gets within 1e-8: its best error in 11150 steps is 1.9e-7,
    // and over 100000 steps it wanders between 3e-8 and 7e-4.
    RotatedQuadratic f = rotated_quadratic(1);
    const LbfgsRun r = run_lbfgs(f, f.a, 10);
    CHECK(r.stop == LbfgsStop::gradient_tolerance);
    CHECK(r.error < 1e-8);
    CHECK(r.evaluations == f.evaluations);
    CHECK(r.evaluations < 2000);
    RotatedQuadratic g = rotated_quadratic(1);
    const AdamRun adam = run_adam(g, Vec::Zero(50), g.a, 1e-8, int(10 * r.evaluations));
    CHECK(adam.epochs_to_tol == -1);
    CHECK(adam.best_error > 1e-8);

    // Unrotated (diagonal) it is no easier for L-BFGS: 987 iterations, 1040 evaluations,
    // error 6.2e-10. Adam, whose per-coordinate scaling undoes a diagonal Hessian, gets within
    // 1e-8 in only 476 steps there, so the diagonal case cannot show the difference.
    Quadratic d = diagonal_quadratic(1);
    const LbfgsRun rd = run_lbfgs(d, d.a, 10);
    CHECK(rd.stop == LbfgsStop::gradient_tolerance);
    CHECK(rd.error < 1e-8);
    CHECK(rd.evaluations < 2000);
}

TEST_CASE("nn lbfgs: the memory matters on the ill-conditioned quadratic")
{
    // the rotated quadratic above: memory 1 takes 1622 iterations, 1777 evaluations; memory 10
    // 1047 and 1115 (memory 1, 3, 5, 10, 20, 50 took 1777, 1547, 1205, 1115, 914, 531
    // evaluations)
    RotatedQuadratic f1 = rotated_quadratic(1), f10 = rotated_quadratic(1);
    const LbfgsRun m1 = run_lbfgs(f1, f1.a, 1), m10 = run_lbfgs(f10, f10.a, 10);
    CHECK(m1.stop == LbfgsStop::gradient_tolerance);
    CHECK(m10.stop == LbfgsStop::gradient_tolerance);
    CHECK(m10.iterations < 0.75 * double(m1.iterations));
    CHECK(m10.evaluations < 0.75 * double(m1.evaluations));
}

TEST_CASE("nn lbfgs: Rosenbrock from (-1.2, 1)")
{
    // 37 iterations, 46 evaluations to ||g|| <= 1e-9 max(1, ||x||), |x - (1, 1)| = 1.5e-11.
    // Adam (lr 1e-2) is still 1.8 away from (1, 1) after 460 steps (10x) and needs 4384 to get
    // within 1e-3.
    Rosenbrock f;
    Vec x = (Vec(2) << -1.2, 1.0).finished();
    nn::Lbfgs lbfgs{LbfgsParams()};
    while (lbfgs.stop() == LbfgsStop::none && lbfgs.state().iterations < 1000)
        lbfgs.step(f, x);
    CHECK(lbfgs.stop() == LbfgsStop::gradient_tolerance);
    CHECK((x - Vec::Ones(2)).lpNorm<Eigen::Infinity>() < 1e-8);
    CHECK(lbfgs.state().iterations < 60);
    CHECK(lbfgs.evaluations() == f.evaluations);
    CHECK(lbfgs.evaluations() < 80);

    Rosenbrock g;
    const AdamRun adam = run_adam(g, (Vec(2) << -1.2, 1.0).finished(), Vec::Ones(2), 1e-3,
                                  int(10 * lbfgs.evaluations()));
    CHECK(adam.epochs_to_tol == -1);
    CHECK(adam.best_error > 0.1);
}

TEST_CASE("nn lbfgs: every accepted step satisfies the strong Wolfe conditions")
{
    const LbfgsParams p;
    int steps = 0;
    auto check_run = [&](nn::Objective& f, Vec x, const char* what) {
        nn::Lbfgs lbfgs(p);
        lbfgs.step(f, x); // first step: also evaluates the start
        for (int k = 0; k < 200 && lbfgs.stop() == LbfgsStop::none; ++k) {
            const nn::LbfgsState before = lbfgs.state();
            // near the minimum f changes by rounding noise only; stop checking there
            if (before.g.norm() < 1e-6)
                break;
            lbfgs.step(f, x);
            const nn::LbfgsState& after = lbfgs.state();
            if (after.iterations == before.iterations)
                break;
            // x_new - x_old = alpha d: Armijo f_new <= f_old + c1 g_old'(x_new - x_old),
            // curvature |g_new'(x_new - x_old)| <= c2 |g_old'(x_new - x_old)|
            const Vec s = after.x - before.x;
            const double slope = before.g.dot(s);
            INFO(what, " iteration ", after.iterations);
            CHECK(slope < 0);
            CHECK(after.f <= before.f + p.c1 * slope + 1e-14 * std::abs(before.f));
            CHECK(std::abs(after.g.dot(s)) <= p.c2 * std::abs(slope) * (1 + 1e-12));
            ++steps;
        }
    };
    for (std::uint64_t seed = 1; seed <= 4; ++seed) {
        Rng rng(seed);
        Quartic f;
        f.c = log_spread(10, 3.0);
        f.a = test::random_mat(rng, 10, 1);
        check_run(f, 3.0 * test::random_mat(rng, 10, 1), "quartic");
        Rosenbrock r;
        check_run(r, (Vec(2) << rng.uniform(-2, 2), rng.uniform(-2, 2)).finished(),
                  "rosenbrock");
    }
    CHECK(steps > 100); // 476
}

TEST_CASE("nn lbfgs: resume from a saved state continues bitwise")
{
    Rosenbrock f;
    Vec x1 = (Vec(2) << -1.2, 1.0).finished(), x2 = x1;
    nn::Lbfgs straight{LbfgsParams()};
    for (int k = 0; k < 20; ++k)
        straight.step(f, x1);
    nn::Lbfgs first{LbfgsParams()};
    for (int k = 0; k < 10; ++k)
        first.step(f, x2);
    const nn::LbfgsState saved = first.state();
    REQUIRE(saved.s.size() == 10); // the memory is full: the resume has to carry it over
    nn::Lbfgs second{LbfgsParams()};
    second.set_state(saved);
    for (int k = 0; k < 10; ++k)
        second.step(f, x2);

    const nn::LbfgsState &a = straight.state(), &b = second.state();
    REQUIRE(a.stop == LbfgsStop::none); // 20 steps are not enough to converge
    CHECK(a.iterations == 20);
    CHECK(b.iterations == 20);
    CHECK(b.stop == a.stop);
    CHECK((x1.array() == x2.array()).all());
    CHECK((a.x.array() == b.x.array()).all());
    CHECK(a.f == b.f);
    CHECK((a.g.array() == b.g.array()).all());
    REQUIRE(a.s.size() == b.s.size());
    REQUIRE(a.y.size() == b.y.size());
    CHECK(a.s.size() == 10);
    for (std::size_t i = 0; i < a.s.size(); ++i) {
        CHECK((a.s[i].array() == b.s[i].array()).all());
        CHECK((a.y[i].array() == b.y[i].array()).all());
    }
    // the resumed object did not evaluate the saved point again
    CHECK(second.evaluations() == straight.evaluations() - first.evaluations());

    // a state of the wrong shape is refused
    nn::LbfgsState bad = saved;
    bad.g = Vec::Zero(3);
    CHECK_THROWS_AS(second.set_state(bad), std::invalid_argument);
    bad = saved;
    bad.y.pop_back();
    CHECK_THROWS_AS(second.set_state(bad), std::invalid_argument);
    // more pairs than the memory holds: the newest are kept
    LbfgsParams small;
    small.memory = 3;
    nn::Lbfgs third(small);
    third.set_state(saved);
    REQUIRE(third.state().s.size() == 3);
    CHECK((third.state().s.back().array() == saved.s.back().array()).all());
    CHECK((third.state().y.front().array() == saved.y[saved.y.size() - 3].array()).all());
}

TEST_CASE("nn lbfgs: a non-finite region makes the line search back off")
{
    for (bool nan_gradient : {false, true}) {
        INFO("nan gradient ", nan_gradient);
        // from (0.9, 0.95), g = (-1, -0.5): the first trial, a step of length 1 along -g,
        // reaches x_0 = 1.79, beyond the wall at 1.5 (the minimum is at 1)
        Walled f;
        f.nan_gradient = nan_gradient;
        Vec x = (Vec(2) << 0.9, 0.95).finished();
        LbfgsStop stop = LbfgsStop::none;
        long long evaluations = 0;
        nn::minimize_lbfgs(f, x, LbfgsParams(), 100, &stop, &evaluations);
        CHECK(f.wall_hits > 0);
        CHECK(stop == LbfgsStop::gradient_tolerance);
        CHECK((x - Vec::Ones(2)).lpNorm<Eigen::Infinity>() < 1e-8);
    }

    // a non-finite start is an error and leaves the state as it was
    Walled f;
    Vec x = (Vec(2) << 2.0, 0.0).finished();
    nn::Lbfgs lbfgs{LbfgsParams()};
    CHECK_THROWS_WITH_AS(lbfgs.step(f, x), "lbfgs: loss is not finite at the starting point",
                         ComputeError);
    CHECK(lbfgs.state().x.size() == 0);
    f.nan_gradient = true;
    CHECK_THROWS_WITH_AS(lbfgs.step(f, x),
                         "lbfgs: gradient is not finite at the starting point", ComputeError);
    struct Nan : nn::Objective
    {
        double evaluate_with_gradient(const Vec& x, Vec& g) override
        {
            g = Vec::Zero(x.size());
            return std::nan("");
        }
    } nan;
    CHECK_THROWS_AS(nn::minimize_lbfgs(nan, x, LbfgsParams(), 10), ComputeError);
}

TEST_CASE("nn lbfgs: flat and unbounded objectives stop without an exception")
{
    Flat flat;
    Vec x = (Vec(3) << 1.0, -2.0, 0.5).finished();
    const Vec x0 = x;
    nn::Lbfgs lbfgs{LbfgsParams()};
    CHECK(lbfgs.step(flat, x) == 0.0);
    CHECK(lbfgs.stop() == LbfgsStop::gradient_tolerance);
    CHECK(lbfgs.evaluations() == 1);
    CHECK(flat.evaluations == 1);
    CHECK(lbfgs.state().iterations == 0);
    CHECK((x.array() == x0.array()).all());
    // stopped: further steps at the same point do not evaluate again
    lbfgs.step(flat, x);
    CHECK(lbfgs.evaluations() == 1);
    // a different theta restarts
    x(0) = 5.0;
    lbfgs.step(flat, x);
    CHECK(lbfgs.evaluations() == 2);
    CHECK(lbfgs.stop() == LbfgsStop::gradient_tolerance);

    // f = s'x: the bracketing phase never finds f' >= 0 nor an f that stops decreasing, so
    // after max_line_search trials growing by 4x it takes the lowest one (a step of 4^24 along
    // -g, f = -6.3e14); y = 0 gives no curvature pair. At that x, ||g|| <= 1e-9 ||x||: the
    // next call stops with "gradient tolerance" (26 evaluations in all).
    Linear lin;
    lin.s = (Vec(2) << 1.0, -2.0).finished();
    Vec z = Vec::Zero(2);
    LbfgsStop stop = LbfgsStop::none;
    long long evaluations = 0;
    double loss = 0;
    CHECK_NOTHROW(loss = nn::minimize_lbfgs(lin, z, LbfgsParams(), 100, &stop, &evaluations));
    CHECK(stop == LbfgsStop::gradient_tolerance);
    CHECK(evaluations == 1 + LbfgsParams().max_line_search);
    CHECK(std::isfinite(loss));
    CHECK(loss < -1e6);
}

TEST_CASE("nn lbfgs: a gradient pointing uphill ends in a line-search failure")
{
    // f = |x|^2 with g = -2x: along -g no trial decreases f, with an empty memory there is
    // nothing else to try
    struct Uphill : nn::Objective
    {
        double evaluate_with_gradient(const Vec& x, Vec& g) override
        {
            g = -2.0 * x;
            return x.squaredNorm();
        }
    } f;
    const Vec x0 = (Vec(2) << 1.0, -0.5).finished();
    Vec x = x0;
    nn::Lbfgs lbfgs{LbfgsParams()};
    CHECK(lbfgs.step(f, x) == x0.squaredNorm());
    CHECK(lbfgs.stop() == LbfgsStop::line_search_failure);
    CHECK((x.array() == x0.array()).all());
    CHECK(lbfgs.state().iterations == 0);
    CHECK(lbfgs.evaluations() <= 1 + LbfgsParams().max_line_search);
    const long long evaluations = lbfgs.evaluations();
    lbfgs.step(f, x);
    CHECK(lbfgs.evaluations() == evaluations);
}

TEST_CASE("nn lbfgs: gradient of the wrong size")
{
    struct Short : nn::Objective
    {
        double evaluate_with_gradient(const Vec&, Vec& g) override
        {
            g = Vec::Zero(1);
            return 0.0;
        }
    } f;
    Vec x = Vec::Zero(2);
    nn::Lbfgs lbfgs{LbfgsParams()};
    CHECK_THROWS_AS(lbfgs.step(f, x), std::invalid_argument);
}

TEST_CASE("nn lbfgs: bad parameters throw UsageError naming the option")
{
    LbfgsParams p;
    CHECK_NOTHROW(p.check());
    p.memory = 0;
    CHECK(usage_message(p) == "--lbfgs-memory must be >= 1 (got 0)");
    CHECK_THROWS_AS(nn::Lbfgs{p}, UsageError);
    p = LbfgsParams();
    p.grad_tol = -1e-6;
    CHECK(usage_message(p) == "--grad-tol must be >= 0 (got -1e-06)");
    p.grad_tol = std::nan("");
    CHECK(usage_message(p).rfind("--grad-tol must be >= 0", 0) == 0);
    p = LbfgsParams();
    p.ftol = -1;
    CHECK(usage_message(p) == "L-BFGS ftol must be >= 0 (got -1)");
    p = LbfgsParams();
    p.max_line_search = 0;
    CHECK(usage_message(p) == "L-BFGS max_line_search must be >= 1 (got 0)");
    p = LbfgsParams();
    p.c1 = 0.9; // == c2
    CHECK(usage_message(p) == "L-BFGS c1 must be in (0, c2) (got 0.9)");
    p.c1 = 0.95;
    CHECK(usage_message(p) == "L-BFGS c1 must be in (0, c2) (got 0.95)");
    p.c1 = 0;
    CHECK(usage_message(p) == "L-BFGS c1 must be in (0, c2) (got 0)");
    p = LbfgsParams();
    p.c2 = 1;
    CHECK(usage_message(p) == "L-BFGS c2 must be in (0, 1) (got 1)");
    p = LbfgsParams();
    p.grad_tol = 0; // zero tolerances are allowed: run until another stop
    p.ftol = 0;
    CHECK_NOTHROW(p.check());

    CHECK(nn::to_string(LbfgsStop::none).empty());
    CHECK(nn::to_string(LbfgsStop::gradient_tolerance) == "gradient tolerance");
    CHECK(nn::to_string(LbfgsStop::no_progress) == "no progress");
    CHECK(nn::to_string(LbfgsStop::line_search_failure) == "line-search failure");
}
