// The continuous normalising flow: the MLP divergence kernel (exact and Hutchinson) and its
// reverse pass and tangent against central differences, for every activation; the density
// field's Jacobian products; the log-density of a linear field against the closed-form Gaussian;
// Hutchinson's estimate against the exact trace in expectation; the maximum-likelihood gradient
// (backprop through rk4 and dopri5, the adjoint) and the flow-matching gradient against central
// differences; the cosine path's velocity; the density of an untrained flow integrating to 1;
// the single-precision divergence kernel and both training losses in single precision against
// double and differences.
#include "core/rng.hpp"
#include "models/cnf_flow.hpp"
#include "models/cnf_likelihood.hpp"
#include "models/cnf_matching.hpp"
#include "models/cnf_model.hpp"
#include "nn/mlp_divergence.hpp"
#include "finite_differences.hpp"
#include "random_matrix.hpp"
#include "random_params.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <functional>

using namespace flowkit;
using test::central_gradient;
using test::random_mat;
using test::rel_diff;

namespace {

Vec random_params(const nn::Mlp& net, std::uint64_t seed, double scale = 1.5)
{
    return test::random_params(net, seed, scale);
}

models::CnfArchitecture small_arch(std::vector<Index> hidden = {6, 5})
{
    models::CnfArchitecture a;
    a.state_names = {"x1", "x2"};
    a.hidden = std::move(hidden);
    return a;
}

/// The Jacobian dN/dx (first d inputs) of row i by central differences.
Mat jacobian_fd(const nn::MlpKernel& k, const Mat& U, Index i, Index d)
{
    Mat J(d, d);
    nn::MlpKernel::Workspace ws;
    for (Index c = 0; c < d; ++c) {
        Mat up = U.row(i), um = U.row(i), op, om;
        up(0, c) += 1e-6;
        um(0, c) -= 1e-6;
        k.forward(up, ws, op);
        k.forward(um, ws, om);
        J.col(c) = (op - om).transpose() / 2e-6;
    }
    return J;
}

/// The random inputs of an MlpDivergence test: points U (n x d+1), probes P, cotangents outbar
/// and divbar, a tangent V and row weights w.
struct DivergenceInputs
{
    Mat U, P, outbar, V;
    Vec divbar, w;
};

DivergenceInputs random_divergence_inputs(Index n, Index d, std::uint64_t seed)
{
    Rng rng(seed);
    DivergenceInputs in;
    in.U = random_mat(rng, n, d + 1);
    in.P = random_mat(rng, n, d);
    in.outbar = random_mat(rng, n, d);
    in.V = random_mat(rng, n, d + 1);
    in.divbar = random_mat(rng, n, 1);
    in.w = random_mat(rng, n, 1);
    return in;
}

/// sum_i w_i (outbar_i . N(U_i) + divbar_i div_i) of the double network theta at the points U
/// (every w_i = 1 unless weighted).
double divergence_loss(const nn::Mlp& net, const Vec& theta, const DivergenceInputs& in,
                       const Mat& U, bool probed, bool weighted)
{
    const nn::MlpKernel k(net, theta);
    const nn::MlpDivergence dv(k);
    nn::MlpDivergence::Workspace ws;
    Mat out;
    Vec div;
    dv.forward(U, probed ? &in.P : nullptr, ws, out, div);
    const Vec per_row = in.outbar.cwiseProduct(out).rowwise().sum() + in.divbar.cwiseProduct(div);
    return weighted ? in.w.dot(per_row) : per_row.sum();
}

} // namespace

TEST_CASE("MlpDivergence: trace and Hutchinson products match the Jacobian by differences")
{
    const Index d = 3, n = 6;
    for (nn::Activation act : test::all_activations) {
        CAPTURE(nn::activation_name(act));
        const nn::Mlp net({d + 1, 7, 5, d}, act);
        const nn::MlpKernel kernel(net, random_params(net, 3));
        const nn::MlpDivergence div(kernel);
        Rng rng(4);
        const Mat U = random_mat(rng, n, d + 1), P = random_mat(rng, n, d);
        nn::MlpDivergence::Workspace ws;
        Mat out, ref;
        Vec exact, hutch;
        div.forward(U, nullptr, ws, out, exact);
        nn::MlpKernel::Workspace kws;
        kernel.forward(U, kws, ref);
        CHECK((out - ref).norm() < 1e-13);
        div.forward(U, &P, ws, out, hutch);
        for (Index i = 0; i < n; ++i) {
            const Mat J = jacobian_fd(kernel, U, i, d);
            CHECK(std::abs(exact(i) - J.trace()) < 1e-8);
            const Vec p = P.row(i).transpose();
            CHECK(std::abs(hutch(i) - p.dot(J * p)) < 1e-8);
        }
    }
}

TEST_CASE("MlpDivergence: weight, input and tangent derivatives match central differences")
{
    const Index d = 2, n = 5;
    for (bool probed : {false, true})
        for (nn::Activation act : test::all_activations) {
            CAPTURE(probed);
            CAPTURE(nn::activation_name(act));
            const nn::Mlp net({d + 1, 6, 4, d}, act);
            const Vec theta = random_params(net, 7);
            const DivergenceInputs in = random_divergence_inputs(n, d, 8);
            const Mat &U = in.U, &P = in.P, &outbar = in.outbar, &V = in.V;
            const Vec &divbar = in.divbar, &w = in.w;
            const auto loss = [&](const Vec& th, const Mat& u, bool weighted) {
                return divergence_loss(net, th, in, u, probed, weighted);
            };
            const nn::MlpKernel kernel(net, theta);
            const nn::MlpDivergence div(kernel);
            nn::MlpDivergence::Workspace ws;
            Mat out, ubar;
            Vec dv, grad = Vec::Zero(net.num_params());
            div.forward(U, probed ? &P : nullptr, ws, out, dv);
            div.backward(outbar, divbar, &w, ws, &ubar, grad);

            const Mat grad_fd = central_gradient(
                [&](const Mat& th) { return loss(th, U, true); }, theta, 1e-6);
            CHECK(rel_diff(grad, grad_fd) < 1e-7);
            const Mat ubar_fd =
                central_gradient([&](const Mat& u) { return loss(theta, u, false); }, U, 1e-6);
            CHECK(rel_diff(ubar, ubar_fd) < 1e-7);

            // The tangent along V of N and of div.
            Mat dout;
            Vec ddiv;
            div.tangent(V, ws, dout, ddiv);
            const auto at = [&](double s, Mat& o, Vec& dd) {
                nn::MlpDivergence::Workspace w2;
                const Mat u = U + s * V;
                div.forward(u, probed ? &P : nullptr, w2, o, dd);
            };
            Mat op, om;
            Vec dp, dm;
            at(1e-6, op, dp);
            at(-1e-6, om, dm);
            CHECK(rel_diff(dout, (op - om) / 2e-6) < 1e-7);
            CHECK(rel_diff(ddiv, (dp - dm) / 2e-6) < 1e-6);
        }
}

TEST_CASE("SinglePrecisionMlpDivergence: its values and derivatives are double's to float "
          "accuracy, and its gradient matches central differences")
{
    // 40 rows (not a multiple of a vector), exact and probed, every activation: N, div, the
    // input and weight gradients and the tangent against MlpDivergence (itself checked by
    // differences above), and the weight gradient against central differences of double's loss.
    const Index d = 2, n = 40;
    for (bool probed : {false, true})
        for (nn::Activation act : test::all_activations) {
            CAPTURE(probed);
            CAPTURE(nn::activation_name(act));
            const nn::Mlp net({d + 1, 9, 7, d}, act);
            const Vec theta = random_params(net, 9);
            const DivergenceInputs in = random_divergence_inputs(n, d, 10);
            const Mat &U = in.U, &P = in.P, &outbar = in.outbar, &V = in.V;
            const Vec &divbar = in.divbar, &w = in.w;
            const nn::MlpKernel kernel(net, theta);

            const nn::MlpDivergence div(kernel);
            nn::MlpDivergence::Workspace ws;
            Mat out, ubar, dout;
            Vec dv, ddiv, grad = Vec::Zero(net.num_params());
            div.forward(U, probed ? &P : nullptr, ws, out, dv);
            div.backward(outbar, divbar, &w, ws, &ubar, grad);
            div.tangent(V, ws, dout, ddiv);

            const nn::SinglePrecisionMlpDivergence single(kernel);
            nn::SinglePrecisionMlpDivergence::Workspace sws;
            const MatF Uf = U.cast<float>(), Pf = P.cast<float>(), Vf = V.cast<float>();
            const VecF wf = w.cast<float>();
            MatF out_f, ubar_f, dout_f;
            VecF dv_f, ddiv_f;
            Vec grad_f = Vec::Zero(net.num_params());
            single.forward(Uf, probed ? &Pf : nullptr, sws, out_f, dv_f);
            single.backward(outbar.cast<float>(), divbar.cast<float>(), &wf, sws, &ubar_f,
                            grad_f);
            single.tangent(Vf, sws, dout_f, ddiv_f);
            // float rounding through two hidden layers: measured below 1e-6 relative
            CHECK(rel_diff(out_f.cast<double>(), out) < 1e-5);
            CHECK(rel_diff(dv_f.cast<double>(), dv) < 1e-5);
            CHECK(rel_diff(ubar_f.cast<double>(), ubar) < 1e-5);
            CHECK(rel_diff(grad_f, grad) < 1e-5);
            CHECK(rel_diff(dout_f.cast<double>(), dout) < 1e-5);
            CHECK(rel_diff(ddiv_f.cast<double>(), ddiv) < 1e-5);
            CHECK(grad_f != grad); // the float path ran

            const auto loss = [&](const Vec& th) {
                return divergence_loss(net, th, in, U, probed, true);
            };
            CHECK(rel_diff(grad_f, central_gradient(loss, theta, 1e-6)) < 1e-5);
        }
}

TEST_CASE("MlpDivergence: a linear network's divergence is the trace of its weights")
{
    const nn::Mlp net({3, 2}, nn::Activation::Tanh);
    const Vec theta = random_params(net, 2);
    const nn::MlpKernel kernel(net, theta);
    const nn::MlpDivergence div(kernel);
    Rng rng(1);
    const Mat U = random_mat(rng, 4, 3);
    nn::MlpDivergence::Workspace ws;
    Mat out;
    Vec d;
    div.forward(U, nullptr, ws, out, d);
    const double trace = kernel.weight(0)(0, 0) + kernel.weight(0)(1, 1);
    CHECK((d.array() - trace).abs().maxCoeff() < 1e-15);
}

TEST_CASE("CnfDensityField: Jacobian products match central differences, probes held fixed")
{
    for (auto trace : {models::TraceEstimator::exact, models::TraceEstimator::hutchinson}) {
        const models::CnfArchitecture a = small_arch();
        const models::CnfDensityField f(a, random_params(a.network(), 5), trace);
        const Index n = 4, m = f.dim(), d = 2;
        CHECK(m == (trace == models::TraceEstimator::exact ? 3 : 5));
        Rng rng(6);
        Mat x = random_mat(rng, n, m);
        const Vec t = random_mat(rng, n, 1);
        const Mat v = random_mat(rng, n, m), abar = random_mat(rng, n, m);
        Mat jv, ja;
        f.jvp(t, x, v, jv);
        f.vjp(t, x, abar, ja);
        // Differences in x only: the log-density column is not an input and the probe is held.
        Mat v_x = Mat::Zero(n, m);
        v_x.leftCols(d) = v.leftCols(d);
        Mat fp, fm;
        f.rhs(t, x + 1e-6 * v_x, fp);
        f.rhs(t, x - 1e-6 * v_x, fm);
        CHECK(rel_diff(jv, (fp - fm) / 2e-6) < 1e-7);
        const Mat g = central_gradient(
            [&](const Mat& y) {
                Mat fy;
                f.rhs(t, y, fy);
                return abar.cwiseProduct(fy).sum();
            },
            x, 1e-6);
        CHECK(rel_diff(ja.leftCols(d), g.leftCols(d)) < 1e-7);
        CHECK(ja.rightCols(m - d).norm() == 0.0);
    }
}

TEST_CASE("CNF log-density: a linear field gives the closed-form Gaussian to 1e-8")
{
    // F(t, x) = A x + b, A = [[a, -w], [w, a]]: x(1) = M z + m with M = e^A = e^a R(w) and
    // m = A^{-1} (M - I) b, so log p_1(x) = log N(z) - 2 a with z = M^{-1} (x - m).
    const double a = 0.3, w = 0.8;
    const models::CnfArchitecture arch = small_arch({});
    Vec theta(arch.network().num_params()); // W (2 x 3, row-major), then b
    theta << a, -w, 0.0, w, a, 0.0, 0.4, -0.7;
    Mat A(2, 2);
    A << a, -w, w, a;
    Mat M(2, 2);
    M << std::cos(w), -std::sin(w), std::sin(w), std::cos(w);
    M *= std::exp(a);
    const Vec b = theta.tail(2);
    const Vec m = A.inverse() * (M - Mat::Identity(2, 2)) * b;

    Rng rng(3);
    const Mat x = 2.0 * random_mat(rng, 20, 2);
    Mat z = (M.inverse() * (x.rowwise() - m.transpose()).transpose()).transpose();
    const Vec expected = models::standard_normal_log_density(z).array() - 2 * a;

    ode::SolverSettings tight;
    tight.rtol = tight.atol = 1e-12;
    const models::CnfDensityField exact(arch, theta, models::TraceEstimator::exact);
    CHECK((models::cnf_log_density(exact, x, nullptr, tight, 2) - expected).cwiseAbs().maxCoeff() <
          1e-8);
    // Rademacher probes see the trace exactly here: the off-diagonal terms cancel.
    const models::CnfDensityField hutch(arch, theta, models::TraceEstimator::hutchinson);
    Mat probes;
    models::draw_probes(models::ProbeDistribution::rademacher, 20, 2, rng, probes);
    CHECK((models::cnf_log_density(hutch, x, &probes, tight, 2) - expected).cwiseAbs().maxCoeff() <
          1e-8);
    // The push-forward of z lands on x.
    const models::NeuralField velocity(arch.velocity(), theta);
    const Mat pushed =
        models::cnf_push_forward(velocity, z, Vec::LinSpaced(2, 0.0, 1.0), tight, 1);
    CHECK((pushed.bottomRows(20) - x).cwiseAbs().maxCoeff() < 1e-9);
}

TEST_CASE("CNF log-density: Hutchinson agrees with the exact trace in expectation")
{
    // 4000 Gaussian probes at one point: the mean lies within 4 standard errors of the exact
    // value, and the estimate does vary (so the comparison is not trivial).
    const models::CnfArchitecture arch = small_arch({16, 16});
    const Vec theta = random_params(arch.network(), 9, 2.0);
    const Index n = 4000;
    const Mat x = Mat::Constant(n, 2, 0.3);
    ode::SolverSettings s;
    s.rtol = s.atol = 1e-8;
    const models::CnfDensityField exact(arch, theta, models::TraceEstimator::exact);
    const double reference = models::cnf_log_density(exact, x.topRows(1), nullptr, s, 1)(0);
    for (auto kind : {models::ProbeDistribution::gaussian, models::ProbeDistribution::rademacher}) {
        const models::CnfDensityField hutch(arch, theta, models::TraceEstimator::hutchinson);
        Rng rng(10);
        Mat probes;
        models::draw_probes(kind, n, 2, rng, probes);
        const Vec est = models::cnf_log_density(hutch, x, &probes, s, 2);
        const double mean = est.mean();
        const double se = std::sqrt((est.array() - mean).square().sum() / double(n - 1) / double(n));
        CAPTURE(mean);
        CAPTURE(reference);
        CAPTURE(se);
        CHECK(se > 1e-4);
        CHECK(std::abs(mean - reference) < 4 * se);
    }
}

TEST_CASE("CNF maximum likelihood: the gradient matches central differences")
{
    const models::CnfArchitecture arch = small_arch();
    const Vec theta = random_params(arch.network(), 11);
    Rng rng(12);
    const Mat data = random_mat(rng, 9, 2);
    struct Kind
    {
        const char* method;
        ode::GradientMethod gradient;
        models::TraceEstimator trace;
        double tol;
    };
    for (const Kind k : {Kind{"rk4", ode::GradientMethod::backprop, models::TraceEstimator::exact, 1e-8},
                         Kind{"rk4", ode::GradientMethod::backprop,
                              models::TraceEstimator::hutchinson, 1e-8},
                         Kind{"dopri5", ode::GradientMethod::backprop,
                              models::TraceEstimator::exact, 1e-6},
                         Kind{"dopri5", ode::GradientMethod::adjoint,
                              models::TraceEstimator::hutchinson, 1e-6}}) {
        CAPTURE(k.method);
        CAPTURE(int(k.gradient));
        CAPTURE(int(k.trace));
        models::CnfLikelihoodParams p;
        p.solver.method = k.method;
        p.solver.steps_per_interval = 6;
        p.solver.rtol = p.solver.atol = 1e-11;
        p.adjoint = p.solver;
        p.gradient = k.gradient;
        p.trace = k.trace;
        p.batch = 7;
        p.threads = 2;
        models::CnfLikelihoodLoss loss(arch, data, p);
        Rng draw(13);
        loss.shuffle(draw, 1);
        Vec grad, unused;
        loss.evaluate_with_gradient(theta, grad);
        const Mat fd = central_gradient(
            [&](const Mat& th) { return loss.evaluate_with_gradient(th, unused); }, theta, 1e-5);
        CHECK(rel_diff(grad, fd) < k.tol);
    }
}

TEST_CASE("CNF flow matching: the gradient matches central differences, and the cosine "
          "path's velocity is its time derivative")
{
    const models::CnfArchitecture arch = small_arch();
    const Vec theta = random_params(arch.network(), 14);
    Rng rng(15);
    const Mat data = random_mat(rng, 30, 2);
    for (auto path : {models::MatchingPath::straight, models::MatchingPath::cosine}) {
        models::CnfMatchingParams p;
        p.path = path;
        p.batch = 200; // two blocks
        p.threads = 2;
        models::CnfMatchingLoss loss(arch, data, p);
        Rng draw(16);
        loss.shuffle(draw, 1);
        Vec grad, unused;
        loss.evaluate_with_gradient(theta, grad);
        const Mat fd = central_gradient(
            [&](const Mat& th) { return loss.evaluate_with_gradient(th, unused); }, theta, 1e-6);
        CHECK(rel_diff(grad, fd) < 1e-8);

        const Mat x0 = random_mat(rng, 5, 2), x1 = random_mat(rng, 5, 2);
        const Vec t = (random_mat(rng, 5, 1).array().abs() * 0.3).matrix();
        Mat xt, ut, xp, xm, unused_u;
        models::matching_target(path, x0, x1, t, xt, ut);
        models::matching_target(path, x0, x1, (t.array() + 1e-6).matrix(), xp, unused_u);
        models::matching_target(path, x0, x1, (t.array() - 1e-6).matrix(), xm, unused_u);
        CHECK(rel_diff(ut, (xp - xm) / 2e-6) < 1e-8);
        // The path runs from noise to data.
        models::matching_target(path, x0, x1, Vec::Zero(5), xt, ut);
        CHECK((xt - x0).norm() < 1e-15);
        models::matching_target(path, x0, x1, Vec::Ones(5), xt, ut);
        CHECK((xt - x1).norm() < 1e-15);
    }
}

TEST_CASE("CNF flow matching in single precision: the loss and gradient of double's to "
          "float accuracy, the same draws")
{
    // Same batch (two blocks), same parameters: the float network's loss and gradient differ
    // from double's by rounding only; a wrong draw or block would differ at order 1.
    const models::CnfArchitecture arch = small_arch();
    const Vec theta = random_params(arch.network(), 17);
    Rng rng(18);
    const Mat data = random_mat(rng, 30, 2);
    models::CnfMatchingParams p;
    p.batch = 200;
    p.threads = 2;
    models::CnfMatchingLoss in_double(arch, data, p);
    p.precision = nn::Precision::single_precision;
    models::CnfMatchingLoss in_single(arch, data, p);
    Rng draw_d(19), draw_s(19);
    in_double.shuffle(draw_d, 1);
    in_single.shuffle(draw_s, 1);
    Vec grad_d, grad_s;
    const double loss_d = in_double.evaluate_with_gradient(theta, grad_d);
    const double loss_s = in_single.evaluate_with_gradient(theta, grad_s);
    CHECK(loss_s != loss_d);
    CHECK(std::abs(loss_s - loss_d) < 1e-6 * loss_d);
    CHECK(rel_diff(grad_s, grad_d) < 1e-5);
}

TEST_CASE("CNF maximum likelihood in single precision: the loss and gradient of double's to "
          "float accuracy")
{
    // Backprop through rk4 (exact and Hutchinson) and the adjoint through dopri5: the same batch
    // and probes in both precisions; only the network's arithmetic differs.
    const models::CnfArchitecture arch = small_arch();
    const Vec theta = random_params(arch.network(), 21);
    Rng rng(22);
    const Mat data = random_mat(rng, 40, 2);
    for (auto trace : {models::TraceEstimator::exact, models::TraceEstimator::hutchinson})
        for (auto grad_method : {ode::GradientMethod::backprop, ode::GradientMethod::adjoint}) {
            CAPTURE(int(trace));
            CAPTURE(int(grad_method));
            models::CnfLikelihoodParams p;
            p.trace = trace;
            p.gradient = grad_method;
            p.solver.method = grad_method == ode::GradientMethod::adjoint ? "dopri5" : "rk4";
            p.solver.steps_per_interval = 6;
            p.solver.rtol = p.solver.atol = 1e-6;
            p.adjoint = p.solver;
            p.batch = 150; // two blocks
            p.threads = 2;
            models::CnfLikelihoodLoss in_double(arch, data, p);
            p.precision = nn::Precision::single_precision;
            models::CnfLikelihoodLoss in_single(arch, data, p);
            Rng draw_d(23), draw_s(23);
            in_double.shuffle(draw_d, 1);
            in_single.shuffle(draw_s, 1);
            Vec grad_d, grad_s;
            const double loss_d = in_double.evaluate_with_gradient(theta, grad_d);
            const double loss_s = in_single.evaluate_with_gradient(theta, grad_s);
            CHECK(loss_s != loss_d);
            CHECK(std::abs(loss_s - loss_d) < 1e-6 * std::abs(loss_d));
            CHECK(rel_diff(grad_s, grad_d) < 1e-5);
        }
}

TEST_CASE("CNF log-density of an untrained flow integrates to 1")
{
    // exp(logp) on a 0.1 grid over [-6, 6]^2 sums to 1 within 1 % for a random (x, t) -> 16 ->
    // 16 -> 2 flow; a density that forgot the divergence integral would not.
    const models::CnfArchitecture arch = small_arch({16, 16});
    const Vec theta = random_params(arch.network(), 17);
    const Index k = 121;
    Mat x(k * k, 2);
    for (Index i = 0; i < k; ++i)
        for (Index j = 0; j < k; ++j)
            x.row(i * k + j) << -6.0 + 0.1 * double(i), -6.0 + 0.1 * double(j);
    ode::SolverSettings s;
    s.rtol = s.atol = 1e-6;
    const models::CnfDensityField f(arch, theta, models::TraceEstimator::exact);
    const Vec logp = models::cnf_log_density(f, x, nullptr, s, 2);
    double mass = 0;
    for (Index i = 0; i < logp.size(); ++i)
        mass += std::exp(logp(i)) * 0.01;
    CAPTURE(mass);
    CHECK(std::abs(mass - 1.0) < 0.01);
    const Vec base = models::standard_normal_log_density(x);
    CHECK((logp - base).cwiseAbs().maxCoeff() > 0.05); // the flow does move the density
}
