// ShallowTanhKernel against MlpKernel (checked against the tape and central differences in
// test_ode_sensitivity.cpp) for every (inputs, outputs) instance, and against central
// differences itself.
#include "nn/shallow_tanh_kernel.hpp"
#include "nn/single_precision_mlp.hpp"

#include "finite_differences.hpp"
#include "random_params.hpp"

#include <doctest/doctest.h>

using namespace flowkit;
using test::central_gradient;
using test::rel_diff;

namespace {

Mat random_mat(Rng& rng, Index rows, Index cols, double scale)
{
    Mat M(rows, cols);
    for (Index i = 0; i < M.size(); ++i)
        M(i) = scale * rng.normal();
    return M;
}

} // namespace

TEST_CASE("ShallowTanhKernel: value, input and weight gradients equal MlpKernel's")
{
    // Every instance (1..4 inputs and outputs); 7 hidden units (an odd one left after the pairs)
    // and 32; 37 rows (four double chunks and a partial one, two float chunks and a partial
    // one) and 3 (less than a chunk); with and without row weights and the value.
    Rng rng(21);
    for (Index in = 1; in <= 4; ++in)
        for (Index out = 1; out <= 4; ++out)
            for (const Index hidden : {7, 32})
                for (const Index n : {37, 3}) {
                    CAPTURE(in);
                    CAPTURE(out);
                    CAPTURE(hidden);
                    CAPTURE(n);
                    const nn::Mlp net({in, hidden, out}, nn::Activation::Tanh);
                    REQUIRE(nn::ShallowTanhKernel::fits(net));
                    const nn::MlpKernel kernel(net, test::random_params(net, 5 + n, 2.0));
                    const Mat X = random_mat(rng, n, in, 1.5), abar = random_mat(rng, n, out, 1);
                    Vec w(n);
                    for (Index i = 0; i < n; ++i)
                        w(i) = rng.uniform(-0.5, 2.0);
                    nn::MlpKernel::Workspace ws;
                    Mat want;
                    kernel.forward(X, ws, want);
                    const nn::ShallowTanhKernel shallow(kernel);
                    Mat got;
                    shallow.forward(X, got);
                    CHECK(rel_diff(got, want) < 1e-14);

                    for (const bool weighted : {false, true}) {
                        CAPTURE(weighted);
                        const Vec* rw = weighted ? &w : nullptr;
                        Mat want_xbar, xbar, value;
                        const Vec start = Vec::Constant(net.num_params(), 0.25);
                        Vec want_grad = start, grad = start, none;
                        kernel.backward(abar, rw, ws, &want_xbar, want_grad);
                        shallow.vjp(X, abar, rw, &value, xbar, grad);
                        CHECK(rel_diff(value, want) < 1e-14);
                        CHECK(rel_diff(xbar, want_xbar) < 1e-13);
                        CHECK(rel_diff(grad - start, want_grad - start) < 1e-13);
                        Mat xbar_only;
                        shallow.vjp(X, abar, rw, nullptr, xbar_only, none);
                        CHECK(rel_diff(xbar_only, want_xbar) < 1e-13);
                    }

                    // In float, against the double kernel: float rounding.
                    const nn::SinglePrecisionMlp single_kernel(kernel);
                    const nn::SinglePrecisionShallowTanhKernel single(single_kernel);
                    const MatF Xf = X.cast<float>(), abar_f = abar.cast<float>();
                    const VecF wf = w.cast<float>();
                    MatF value_f, xbar_f;
                    Vec grad = Vec::Zero(net.num_params()), want_grad = grad;
                    Mat want_xbar;
                    kernel.backward(abar, &w, ws, &want_xbar, want_grad);
                    single.vjp(Xf, abar_f, &wf, &value_f, xbar_f, grad);
                    CHECK(rel_diff(value_f.cast<double>(), want) < 2e-6);
                    CHECK(rel_diff(xbar_f.cast<double>(), want_xbar) < 2e-6);
                    CHECK(rel_diff(grad, want_grad) < 2e-6);
                    MatF got_f;
                    single.forward(Xf, got_f);
                    CHECK(rel_diff(got_f.cast<double>(), want) < 2e-6);
                }
}

TEST_CASE("ShallowTanhKernel: the VJP equals central differences")
{
    // 2 -> 32 -> 2 (node-fit's default field) on 21 rows: xbar and the weighted parameter
    // gradient of sum_i w_i abar_i . N(X_i).
    const nn::Mlp net({2, 32, 2}, nn::Activation::Tanh);
    const Vec theta = test::random_params(net, 3, 2.0);
    Rng rng(4);
    const Index n = 21;
    const Mat X = random_mat(rng, n, 2, 1.5), abar = random_mat(rng, n, 2, 1);
    Vec w(n);
    for (Index i = 0; i < n; ++i)
        w(i) = rng.uniform(0.1, 2.0);
    const auto value = [&](const Vec& th, const Mat& x) {
        Mat out;
        nn::ShallowTanhKernel(nn::MlpKernel(net, th)).forward(x, out);
        return out;
    };
    Mat xbar;
    Vec grad = Vec::Zero(net.num_params());
    nn::ShallowTanhKernel(nn::MlpKernel(net, theta)).vjp(X, abar, &w, nullptr, xbar, grad);
    const Mat x_fd = central_gradient(
        [&](const Mat& x) { return value(theta, x).cwiseProduct(abar).sum(); }, X, 1e-6);
    CHECK(rel_diff(xbar, x_fd) < 1e-8);
    const Mat g_fd = central_gradient(
        [&](const Mat& th) {
            return (w.asDiagonal() * value(th.col(0), X).cwiseProduct(abar)).sum();
        },
        Mat(theta), 1e-6);
    CHECK(rel_diff(grad, g_fd) < 1e-8);
}

TEST_CASE("ShallowTanhKernel: fits one tanh hidden layer with at most four inputs and outputs")
{
    CHECK(nn::ShallowTanhKernel::fits(nn::Mlp({4, 9, 4}, nn::Activation::Tanh)));
    CHECK_FALSE(nn::ShallowTanhKernel::fits(nn::Mlp({5, 9, 2}, nn::Activation::Tanh)));
    CHECK_FALSE(nn::ShallowTanhKernel::fits(nn::Mlp({2, 9, 5}, nn::Activation::Tanh)));
    CHECK_FALSE(nn::ShallowTanhKernel::fits(nn::Mlp({2, 9, 9, 2}, nn::Activation::Tanh)));
    CHECK_FALSE(nn::ShallowTanhKernel::fits(nn::Mlp({2, 9, 2}, nn::Activation::Sin)));
    const nn::Mlp deep({2, 9, 9, 2}, nn::Activation::Tanh);
    CHECK_THROWS_AS(nn::ShallowTanhKernel(nn::MlpKernel(deep, Vec::Zero(deep.num_params()))),
                    std::invalid_argument);
}
