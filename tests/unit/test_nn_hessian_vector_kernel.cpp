// nn::HessianVectorKernel: G = grad U and HV = Hess U V against the tape's Mlp::input_gradient
// and Mlp::hessian_vector (themselves checked against finite differences in test_nn_mlp.cpp),
// and the reverse pass of a linear functional of (G, HV) against the tape's reverse sweep and
// against central differences in theta, X and V; no allocation in repeated passes.
#include "allocation_counter.hpp"
#include "core/rng.hpp"
#include "nn/hessian_vector_kernel.hpp"
#include "nn/mlp.hpp"
#include "random_matrix.hpp"
#include "random_params.hpp"

#include <doctest/doctest.h>

#include <stdexcept>
#include <vector>

using namespace flowkit;
using ad::Tape;
using nn::Activation;
using nn::HessianVectorKernel;
using nn::Mlp;
using test::random_mat;

namespace {

Vec random_theta(const Mlp& net, std::uint64_t seed)
{
    return test::random_params(net, seed, 2.0);
}

double rel_err(const Mat& a, const Mat& b)
{
    return (a - b).norm() / std::max(b.norm(), 1e-300);
}

// Shapes with one, two and three hidden layers; narrow ones go through nn::chunked_times,
// wide ones through Eigen's product.
const std::vector<std::vector<Index>> shapes = {
    {3, 5, 1}, {3, 8, 6, 1}, {2, 12, 10, 1}, {4, 20, 16, 9, 1}};

/// S = sum(Gbar .* G) + sum(Hbar .* HV) by the kernel's forward pass; GHbar = [Gbar; Hbar].
double functional(const Mlp& net, const Vec& theta, const Mat& X, const Mat& V, const Mat& GHbar)
{
    HessianVectorKernel kernel(net, theta);
    HessianVectorKernel::Workspace ws;
    kernel.forward(X, V, ws);
    return ws.out.cwiseProduct(GHbar).sum();
}

} // namespace

TEST_CASE("nn hessian_vector_kernel: G and HV equal the tape's input_gradient and hessian_vector")
{
    Rng rng(11);
    for (const auto& w : shapes) {
        CAPTURE(w.size());
        CAPTURE(w[1]);
        const Mlp net(w, Activation::Tanh);
        const Vec theta = random_theta(net, 12);
        const Index m = 37, d = w[0]; // not a multiple of 8: the chunked products' tails
        const Mat X = random_mat(rng, m, d), V = random_mat(rng, m, d);

        Tape t;
        const auto p = net.put_params(t, theta);
        const auto tr = net.trace(t, p, t.input(X));
        const Mat G = t.value(net.input_gradient(t, p, tr));
        const Mat HV = t.value(net.hessian_vector(t, p, tr, t.input(V)));

        const HessianVectorKernel kernel(net, theta);
        HessianVectorKernel::Workspace ws;
        kernel.forward(X, V, ws);
        CHECK(rel_err(ws.out.topRows(m), G) < 1e-13);
        CHECK(rel_err(ws.out.bottomRows(m), HV) < 1e-13);
        REQUIRE(HV.norm() > 1e-2 * G.norm()); // the check above compares something
    }
}

TEST_CASE("nn hessian_vector_kernel: reverse pass against the tape and central differences")
{
    Rng rng(21);
    for (const auto& w : shapes) {
        CAPTURE(w.size());
        CAPTURE(w[1]);
        const Mlp net(w, Activation::Tanh);
        const Vec theta = random_theta(net, 22);
        const Index m = 13, d = w[0];
        const Mat X = random_mat(rng, m, d), V = random_mat(rng, m, d);
        const Mat Gbar = random_mat(rng, m, d), Hbar = random_mat(rng, m, d);
        Mat GHbar(2 * m, d);
        GHbar << Gbar, Hbar;

        // The tape: the same functional, one reverse sweep.
        Tape t;
        const auto p = net.put_params(t, theta);
        const auto Xid = t.input(X), Vid = t.input(V);
        const auto tr = net.trace(t, p, Xid);
        const auto S = t.add(t.sum(t.mul(net.input_gradient(t, p, tr), t.input(Gbar))),
                             t.sum(t.mul(net.hessian_vector(t, p, tr, Vid), t.input(Hbar))));
        t.backward(S);
        Vec grad_tape;
        net.gather_gradient(t, p, grad_tape);

        const HessianVectorKernel kernel(net, theta);
        HessianVectorKernel::Workspace ws;
        kernel.forward(X, V, ws);
        Vec grad = Vec::Constant(net.num_params(), 0.5); // reverse adds to it
        Mat XVbar = Mat::Constant(2 * m, d, 3.0); // overwritten
        HessianVectorKernel::ReverseWorkspace rs;
        kernel.reverse(GHbar, ws, rs, grad, &XVbar);
        grad.array() -= 0.5;
        CHECK(rel_err(grad, grad_tape) < 1e-12);

        // Central differences, h = 1e-5: error ~ h^2 |S'''| + eps |S| / h, relative ~1e-9.
        const double h = 1e-5;
        Vec grad_fd(net.num_params());
        for (Index i = 0; i < theta.size(); ++i) {
            Vec tp = theta, tm = theta;
            tp(i) += h;
            tm(i) -= h;
            grad_fd(i) = (functional(net, tp, X, V, GHbar) - functional(net, tm, X, V, GHbar)) /
                         (2 * h);
        }
        CHECK(rel_err(grad, grad_fd) < 1e-7);
        // The output bias never reaches G: its entry stays zero.
        CHECK(grad(net.num_params() - 1) == 0.0);

        Mat XVbar_fd(2 * m, d);
        for (Index r = 0; r < m; ++r)
            for (Index j = 0; j < d; ++j) {
                Mat Xp = X, Xm = X, Vp = V, Vm = V;
                Xp(r, j) += h;
                Xm(r, j) -= h;
                Vp(r, j) += h;
                Vm(r, j) -= h;
                XVbar_fd(r, j) = (functional(net, theta, Xp, V, GHbar) -
                                  functional(net, theta, Xm, V, GHbar)) / (2 * h);
                XVbar_fd(m + r, j) = (functional(net, theta, X, Vp, GHbar) -
                                      functional(net, theta, X, Vm, GHbar)) / (2 * h);
            }
        CHECK(rel_err(XVbar, XVbar_fd) < 1e-7);
    }
}

TEST_CASE("nn hessian_vector_kernel: a workspace reshapes when the rows change")
{
    Rng rng(31);
    const Mlp net({3, 8, 6, 1}, Activation::Tanh);
    const Vec theta = random_theta(net, 32);
    const HessianVectorKernel kernel(net, theta);
    HessianVectorKernel::Workspace ws;
    const Mat X = random_mat(rng, 20, 3), V = random_mat(rng, 20, 3);
    kernel.forward(X, V, ws);
    const Mat whole = ws.out;
    kernel.forward(X.topRows(9), V.topRows(9), ws);
    CHECK(ws.out.rows() == 18);
    CHECK(rel_err(ws.out.topRows(9), whole.topRows(9)) < 1e-15);
    CHECK(rel_err(ws.out.bottomRows(9), whole.middleRows(20, 9)) < 1e-15);
}

TEST_CASE("nn hessian_vector_kernel: repeated passes allocate nothing")
{
    // Narrow layers (nn::chunked_times) and 32-unit ones (Eigen's product) at 64 rows.
    Rng rng(41);
    for (const auto& w : {std::vector<Index>{3, 10, 10, 1}, std::vector<Index>{3, 32, 32, 1}}) {
        CAPTURE(w[1]);
        const Mlp net(w, Activation::Tanh);
        const Vec theta = random_theta(net, 42);
        HessianVectorKernel kernel(net, theta);
        HessianVectorKernel::Workspace ws;
        HessianVectorKernel::ReverseWorkspace rs;
        const Mat X = random_mat(rng, 64, 3), V = random_mat(rng, 64, 3);
        const Mat GHbar = random_mat(rng, 128, 3);
        Vec grad = Vec::Zero(net.num_params());
        Mat XVbar = Mat::Zero(128, 3);
        auto pass = [&] {
            kernel.set_params(theta);
            kernel.forward(X, V, ws);
            kernel.reverse(GHbar, ws, rs, grad, &XVbar);
        };
        pass();
        test::AllocationCount allocations;
        pass();
        CHECK(allocations.count() == 0);
    }
}

TEST_CASE("nn hessian_vector_kernel: unsupported nets and wrong shapes are refused")
{
    const Mlp sine({3, 8, 1}, Activation::Sin), vector({3, 8, 2}, Activation::Tanh),
        linear({3, 1}, Activation::Tanh);
    CHECK_FALSE(HessianVectorKernel::supports(sine));
    CHECK_FALSE(HessianVectorKernel::supports(vector));
    CHECK_FALSE(HessianVectorKernel::supports(linear));
    CHECK_THROWS_AS(HessianVectorKernel(sine, Vec::Zero(sine.num_params())),
                    std::invalid_argument);

    const Mlp net({3, 8, 1}, Activation::Tanh);
    CHECK_THROWS_AS(HessianVectorKernel(net, Vec::Zero(net.num_params() + 1)),
                    std::invalid_argument);
    const HessianVectorKernel kernel(net, Vec::Zero(net.num_params()));
    HessianVectorKernel::Workspace ws;
    CHECK_THROWS_AS(kernel.forward(Mat::Zero(4, 2), Mat::Zero(4, 2), ws), std::invalid_argument);
    CHECK_THROWS_AS(kernel.forward(Mat::Zero(4, 3), Mat::Zero(5, 3), ws), std::invalid_argument);
    kernel.forward(Mat::Zero(4, 3), Mat::Zero(4, 3), ws);
    Vec grad = Vec::Zero(net.num_params());
    HessianVectorKernel::ReverseWorkspace rs;
    CHECK_THROWS_AS(kernel.reverse(Mat::Zero(4, 3), ws, rs, grad, nullptr),
                    std::invalid_argument);
    Mat XVbar = Mat::Zero(8, 2);
    CHECK_NOTHROW(kernel.reverse(Mat::Zero(8, 3), ws, rs, grad, &XVbar));
    CHECK(XVbar.rows() == 8); // the input adjoint takes its shape
    CHECK(XVbar.cols() == 3);
}
