// The Neural ODE's derivatives: MlpKernel against the tape and central differences; NeuralField's
// Jacobian and parameter products against central differences (first order, time-dependent,
// second order); the discrete adjoint (backprop through rk4 and dopri5) and the continuous adjoint
// against central differences of the solve and against each other, on rows with irregular times
// of their own; NodeLoss's gradient (augmented, second order) against central differences; the
// single-precision field and loss against double.
#include "core/rng.hpp"
#include "models/node_loss.hpp"
#include "models/node_model.hpp"
#include "nn/init.hpp"
#include "nn/mlp_kernel.hpp"
#include "ode/sensitivity.hpp"
#include "finite_differences.hpp"
#include "random_matrix.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <functional>

using namespace flowkit;
using test::central_gradient;
using test::random_mat;
using test::rel_diff;

namespace {

Vec random_params(const nn::Mlp& net, std::uint64_t seed)
{
    Rng rng(seed);
    Vec theta;
    nn::init_torch(net, rng, theta);
    return 1.5 * theta;
}

/// Two hidden layers by default (nn::MlpKernel); one tanh layer goes through
/// nn::ShallowTanhKernel.
models::NodeArchitecture arch(bool time_dependent, bool second_order, Index augment,
                              std::vector<Index> hidden = {7, 5})
{
    models::NodeArchitecture a;
    a.state_names = {"q", "p"};
    if (second_order)
        a.velocity_names = {"q_dot", "p_dot"};
    a.hidden = std::move(hidden);
    a.time_dependent = time_dependent;
    a.second_order = second_order;
    a.augment = augment;
    return a;
}

Vec random_node_params(const models::NodeArchitecture& a, std::uint64_t seed)
{
    Vec theta = models::initial_node_params(a, random_params(a.network(), seed));
    Rng rng(seed + 1);
    const Index net = a.network().num_params();
    for (Index k = net; k < theta.size(); ++k) // move A, a, B, b off the identity
        theta(k) += 0.2 * rng.normal();
    return theta;
}

/// Three rows with times of their own (irregular, different counts); one runs backward.
ode::ObservationTimes irregular_times(bool with_backward_row)
{
    ode::ObservationTimes times;
    times.t.resize(10);
    times.t << 0.0, 0.3, 0.35, 1.1, /**/ 0.5, 0.9, 1.7, /**/ 0.2, 0.0, -0.6;
    if (!with_backward_row)
        times.t.tail(3) << 0.2, 0.4, 1.0;
    times.start = {0, 4, 7, 10};
    return times;
}

/// Random states at irregular_times.
models::TrajectoryData random_trajectories(const models::NodeArchitecture& a,
                                           bool with_backward_row, std::uint64_t seed)
{
    models::TrajectoryData data;
    data.names = a.state_names;
    data.times = irregular_times(with_backward_row);
    Rng rng(seed);
    data.states = random_mat(rng, data.times.t.size(), 2);
    data.ids = {0, 1, 2};
    return data;
}

} // namespace

TEST_CASE("MlpKernel: forward equals the tape's, backward and tangent equal central differences")
{
    for (nn::Activation act : {nn::Activation::Tanh, nn::Activation::Sin, nn::Activation::Softplus,
                               nn::Activation::Silu, nn::Activation::Gelu, nn::Activation::Sigmoid}) {
        CAPTURE(nn::activation_name(act));
        const nn::Mlp net({3, 6, 4, 2}, act);
        const Vec theta = random_params(net, 3);
        Rng rng(5);
        const Mat X = random_mat(rng, 9, 3), abar = random_mat(rng, 9, 2), V = random_mat(rng, 9, 3);
        Vec w(9);
        for (Index i = 0; i < 9; ++i)
            w(i) = rng.uniform(0.1, 2.0);
        const nn::MlpKernel kernel(net, theta);
        nn::MlpKernel::Workspace ws;
        Mat out, ref;
        kernel.forward(X, ws, out);
        net.evaluate(theta, X, ref);
        CHECK(rel_diff(out, ref) < 1e-14);

        Mat xbar, tangent;
        Vec grad = Vec::Zero(net.num_params());
        kernel.backward(abar, &w, ws, &xbar, grad);
        kernel.tangent(V, ws, tangent);

        const auto weighted = [&](const Mat& th, const Mat& x) {
            Mat n;
            net.evaluate(th.col(0), x, n);
            return (w.asDiagonal() * n.cwiseProduct(abar)).sum();
        };
        const Mat g_fd = central_gradient([&](const Mat& th) { return weighted(th, X); },
                                          Mat(theta), 1e-6);
        CHECK(rel_diff(grad, g_fd) < 1e-7);
        const Mat x_fd = central_gradient(
            [&](const Mat& x) {
                Mat n;
                net.evaluate(theta, x, n);
                return n.cwiseProduct(abar).sum();
            },
            X, 1e-6);
        CHECK(rel_diff(xbar, x_fd) < 1e-7);
        Mat plus, minus;
        net.evaluate(theta, X + 1e-6 * V, plus);
        net.evaluate(theta, X - 1e-6 * V, minus);
        CHECK(rel_diff(tangent, (plus - minus) / 2e-6) < 1e-7);
    }
}

TEST_CASE("NeuralField: jvp, vjp and the parameter VJP equal central differences")
{
    struct Kind
    {
        bool time_dependent, second_order;
    };
    for (const Kind k : {Kind{false, false}, Kind{true, false}, Kind{false, true}, Kind{true, true}}) {
        for (const std::vector<Index>& hidden : {std::vector<Index>{7, 5}, std::vector<Index>{9}}) {
            CAPTURE(k.time_dependent);
            CAPTURE(k.second_order);
            CAPTURE(hidden.size());
            const models::NodeArchitecture a = arch(k.time_dependent, k.second_order, 0, hidden);
            const Vec theta = random_node_params(a, 11);
            const models::NeuralField field(a, theta);
            const Index m = a.ode_dim(), n = 6;
            Rng rng(7);
            const Mat x = random_mat(rng, n, m), v = random_mat(rng, n, m),
                      abar = random_mat(rng, n, m);
            Vec t(n), w(n);
            for (Index i = 0; i < n; ++i) {
                t(i) = rng.uniform(-1, 2);
                w(i) = rng.uniform(0.1, 2.0);
            }
            Mat f, f2, jv, xbar, xbar2;
            field.rhs(t, x, f);
            field.jvp(t, x, v, jv);
            field.vjp(t, x, abar, xbar);
            Vec grad = Vec::Zero(field.num_params());
            field.vjp_params(t, x, abar, &w, &f2, xbar2, grad);
            CHECK(rel_diff(f2, f) == 0.0);
            CHECK(rel_diff(xbar2, xbar) == 0.0);

            Mat fp, fm;
            field.rhs(t, x + 1e-6 * v, fp);
            field.rhs(t, x - 1e-6 * v, fm);
            CHECK(rel_diff(jv, (fp - fm) / 2e-6) < 1e-7);
            const Mat x_fd = central_gradient(
                [&](const Mat& y) {
                    Mat g;
                    field.rhs(t, y, g);
                    return g.cwiseProduct(abar).sum();
                },
                x, 1e-6);
            CHECK(rel_diff(xbar, x_fd) < 1e-7);
            const Mat g_fd = central_gradient(
                [&](const Mat& th) {
                    const models::NeuralField other(a, th.col(0));
                    Mat g;
                    other.rhs(t, x, g);
                    return (w.asDiagonal() * g.cwiseProduct(abar)).sum();
                },
                Mat(theta), 1e-6);
            CHECK(rel_diff(grad, g_fd.topRows(field.num_params())) < 1e-7);
        }
    }
}

namespace {

/// The gradients of sum(G .* states) for a solve: by backprop, and by central differences of
/// the same solve (step h).
struct SolveGradients
{
    Mat states, x0_bp, x0_fd;
    Vec g_bp;
    Mat g_fd;
    long backward_evaluations = 0;
};

SolveGradients backprop_and_differences(const models::NodeArchitecture& a, const Vec& theta,
                                        const ode::ObservationTimes& times, const Mat& x0,
                                        const Mat& G, const ode::SolverSettings& s, double h)
{
    const auto loss = [&](const Vec& th, const Mat& y0) {
        const models::NeuralField field(a, th);
        ode::ForwardSolve solve(s);
        Mat states;
        solve.run(field, times, y0, states, false);
        return states.cwiseProduct(G).sum();
    };
    SolveGradients out;
    const models::NeuralField field(a, theta);
    ode::ForwardSolve solve(s);
    solve.run(field, times, x0, out.states, true);
    out.g_bp = Vec::Zero(field.num_params());
    solve.backward(field, times, G, out.x0_bp, out.g_bp);
    out.backward_evaluations = solve.backward_evaluations();
    out.g_fd = central_gradient([&](const Mat& th) { return loss(th.col(0), x0); }, Mat(theta), h);
    out.x0_fd = central_gradient([&](const Mat& y0) { return loss(theta, y0); }, x0, h);
    return out;
}

} // namespace

TEST_CASE("Backprop through rk4 equals central differences of the same solve to 1e-8")
{
    const models::NodeArchitecture a = arch(true, false, 0);
    const Vec theta = random_node_params(a, 21);
    const ode::ObservationTimes times = irregular_times(true);
    Rng rng(3);
    const Mat x0 = random_mat(rng, 3, 2), G = random_mat(rng, times.t.size(), 2);
    ode::SolverSettings s;
    s.method = "rk4";
    s.steps_per_interval = 3;
    const SolveGradients g = backprop_and_differences(a, theta, times, x0, G, s, 1e-5);
    // per row: 3, 2 and 2 intervals of 3 steps, 4 stages a step
    CHECK(g.backward_evaluations == 4 * 3 * (3 + 2 + 2));
    CHECK(rel_diff(g.g_bp, g.g_fd) < 1e-8);
    CHECK(rel_diff(g.x0_bp, g.x0_fd) < 1e-8);
}

TEST_CASE("Backprop through dopri5 and the continuous adjoint agree with central differences")
{
    for (const bool time_dependent : {false, true}) {
        CAPTURE(time_dependent);
        const models::NodeArchitecture a = arch(time_dependent, false, 0);
        const Vec theta = random_node_params(a, 31);
        const ode::ObservationTimes times = irregular_times(true);
        Rng rng(4);
        const Mat x0 = random_mat(rng, 3, 2), G = random_mat(rng, times.t.size(), 2);
        ode::SolverSettings s;
        s.rtol = 1e-11;
        s.atol = 1e-13;
        // At these tolerances the solver's error is far below the differences' own (1e-8).
        const SolveGradients g = backprop_and_differences(a, theta, times, x0, G, s, 1e-4);
        CHECK(rel_diff(g.g_bp, g.g_fd) < 1e-6);
        CHECK(rel_diff(g.x0_bp, g.x0_fd) < 1e-6);

        const models::NeuralField field(a, theta);
        Mat x0_adj;
        Vec g_adj = Vec::Zero(field.num_params());
        ode::ContinuousAdjoint adjoint(s);
        adjoint.backward(field, times, g.states, G, x0_adj, g_adj);
        CHECK(rel_diff(g_adj, g.g_bp) < 1e-7);
        CHECK(rel_diff(x0_adj, g.x0_bp) < 1e-7);
    }
}

TEST_CASE("Backprop through dopri5's dense output: observations inside steps, the last one too")
{
    // Observations 0.03 before each row's last lie inside its last step. The second row ends
    // later, so the first is done (and must stay at its last time: a time-dependent field is
    // evaluated there) while the second steps on, and the second's last step is the solve's
    // last: observations passed in it have no next step to take their part through dopri5's
    // last stage. Measured: 5e-8 and 2e-8 relative, against 2.4e-5 with the first row's time
    // left at the observation before its last.
    ode::ObservationTimes times;
    times.t.resize(9);
    times.t << 0.0, 0.41, 0.83, 1.2 - 3e-2, 1.2, /**/ 0.0, 0.7, 1.5 - 3e-2, 1.5;
    times.start = {0, 5, 9};
    for (const bool time_dependent : {false, true}) {
        CAPTURE(time_dependent);
        const models::NodeArchitecture a = arch(time_dependent, false, 0);
        const Vec theta = random_node_params(a, 32);
        Rng rng(5);
        const Mat x0 = random_mat(rng, 2, 2), G = random_mat(rng, times.t.size(), 2);
        ode::SolverSettings s;
        s.rtol = 1e-8;
        s.atol = 1e-10;
        const SolveGradients g = backprop_and_differences(a, theta, times, x0, G, s, 1e-4);
        CHECK(rel_diff(g.g_bp, g.g_fd) < 1e-6);
        CHECK(rel_diff(g.x0_bp, g.x0_fd) < 1e-6);
    }
}

TEST_CASE("The continuous adjoint's error follows its tolerance")
{
    const models::NodeArchitecture a = arch(false, false, 0);
    const Vec theta = random_node_params(a, 41);
    const ode::ObservationTimes times = irregular_times(false);
    Rng rng(6);
    const Mat x0 = random_mat(rng, 3, 2), G = random_mat(rng, times.t.size(), 2);
    ode::SolverSettings tight;
    tight.rtol = 1e-12;
    tight.atol = 1e-14;
    const models::NeuralField field(a, theta);
    ode::ForwardSolve solve(tight);
    Mat states, x0_ref, x0_adj;
    solve.run(field, times, x0, states, true);
    Vec g_ref = Vec::Zero(field.num_params());
    solve.backward(field, times, G, x0_ref, g_ref);
    double last = 1;
    for (const double rtol : {1e-4, 1e-6, 1e-8}) {
        ode::SolverSettings s;
        s.rtol = rtol;
        s.atol = rtol * 1e-2;
        ode::ContinuousAdjoint adjoint(s);
        Vec g = Vec::Zero(field.num_params());
        adjoint.backward(field, times, states, G, x0_adj, g);
        const double err = rel_diff(g, g_ref);
        CAPTURE(rtol);
        CHECK(err < 100 * rtol);
        CHECK(err < last);
        last = err;
    }
}

TEST_CASE("NodeLoss: the gradient (augmented, second order, relative) equals central differences")
{
    struct Kind
    {
        bool second_order;
        Index augment;
        bool relative;
        ode::GradientMethod gradient;
    };
    for (const Kind k : {Kind{false, 0, false, ode::GradientMethod::backprop},
                         Kind{false, 2, false, ode::GradientMethod::backprop},
                         Kind{false, 1, true, ode::GradientMethod::adjoint},
                         Kind{true, 0, false, ode::GradientMethod::backprop},
                         Kind{true, 0, true, ode::GradientMethod::adjoint}}) {
        CAPTURE(k.second_order);
        CAPTURE(k.augment);
        CAPTURE(k.relative);
        const models::NodeArchitecture a = arch(false, k.second_order, k.augment);
        const models::TrajectoryData data = random_trajectories(a, false, 8);
        models::NodeLossParams p;
        p.solver.rtol = p.adjoint.rtol = 1e-11;
        p.solver.atol = p.adjoint.atol = 1e-13;
        p.relative = k.relative;
        p.gradient = k.gradient;
        models::NodeLoss loss(a, data, p);
        const Vec theta = random_node_params(a, 51);
        Vec grad;
        loss.evaluate_with_gradient(theta, grad);
        const Mat g_fd = central_gradient(
            [&](const Mat& th) {
                Vec unused;
                return loss.evaluate_with_gradient(th.col(0), unused);
            },
            Mat(theta), 1e-5);
        CHECK(rel_diff(grad, g_fd) < 1e-6);
    }
}

TEST_CASE("NeuralField in single precision: rhs and the VJPs agree with double, and set_params "
          "keeps the precision")
{
    for (const bool second_order : {false, true}) {
        for (const std::vector<Index>& hidden : {std::vector<Index>{7, 5}, std::vector<Index>{9}}) {
            CAPTURE(second_order);
            CAPTURE(hidden.size());
            const models::NodeArchitecture a = arch(true, second_order, 0, hidden);
            const Vec theta = random_node_params(a, 12), theta2 = random_node_params(a, 13);
            models::NeuralField dbl(a, theta), single(a, theta);
            single.use_single_precision();
            const Index m = a.ode_dim(), n = 37; // two float chunks and a partial one
            Rng rng(9);
            const Mat x = random_mat(rng, n, m), abar = random_mat(rng, n, m);
            Vec t(n), w(n);
            for (Index i = 0; i < n; ++i) {
                t(i) = rng.uniform(-1, 2);
                w(i) = rng.uniform(0.1, 2.0);
            }
            for (const Vec* th : {&theta, &theta2}) {
                dbl.set_params(*th);
                single.set_params(*th);
                Mat f, fs, f2, f2s, xbar, xbars;
                dbl.rhs(t, x, f);
                single.rhs(t, x, fs);
                Vec g = Vec::Zero(dbl.num_params()), gs = g;
                dbl.vjp_params(t, x, abar, &w, &f2, xbar, g);
                single.vjp_params(t, x, abar, &w, &f2s, xbars, gs);
                // float rounding: measured 3e-8 to 3e-7
                CHECK(rel_diff(fs, f) < 2e-6);
                CHECK(rel_diff(fs, f) > 0.0); // the single-precision path, also after set_params
                CHECK(rel_diff(f2s, f) < 2e-6);
                CHECK(rel_diff(xbars, xbar) < 2e-6);
                CHECK(rel_diff(gs, g) < 2e-6);
            }
        }
    }
}

TEST_CASE("NodeLoss in single precision: loss and gradient agree with double's (backprop, "
          "adjoint)")
{
    for (const auto gradient : {ode::GradientMethod::backprop, ode::GradientMethod::adjoint}) {
        const models::NodeArchitecture a = arch(false, false, 0);
        const models::TrajectoryData data = random_trajectories(a, true, 10);
        models::NodeLossParams p;
        p.gradient = gradient;
        models::NodeLoss dbl(a, data, p);
        p.precision = nn::Precision::single_precision;
        models::NodeLoss single(a, data, p);
        const Vec theta = random_node_params(a, 52);
        Vec g, gs;
        const double l = dbl.evaluate_with_gradient(theta, g);
        const double ls = single.evaluate_with_gradient(theta, gs);
        // measured: loss 1.2e-8, gradient 2.3e-6 (backprop) and 7.6e-8 (adjoint)
        CHECK(std::abs(ls - l) < 1e-6 * l);
        CHECK(rel_diff(gs, g) < 1e-5);
        CHECK(rel_diff(gs, g) > 0.0);
    }
}
