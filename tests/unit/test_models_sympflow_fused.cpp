// lib/models SympFlow fused residual: SympflowResidualKernel's N, dN/dt, residual sum and weight
// gradient against the tape (the reference) at random weights, for harmonic (2-D) and
// Henon-Heiles (4-D), 1 and 3 layer pairs, several hidden shapes and row counts; its gradient
// against central differences; SympflowLoss with and without the kernel (Hamiltonian matching
// and two threads included), the tape fallback for other activations, and no allocation in a
// repeated residual. The float kernel (SympflowResidualKernelF) against the double one, and
// SympflowLoss's single precision: float in the training epochs only.
#include "allocation_counter.hpp"
#include "core/rng.hpp"
#include "models/field_on_tape.hpp"
#include "models/sympflow.hpp"
#include "models/sympflow_fused.hpp"
#include "models/sympflow_loss.hpp"
#include "nn/init.hpp"
#include "ode/builtin_systems.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <vector>

using namespace flowkit;
using models::Sympflow;
using models::SympflowArchitecture;
using models::SympflowLoss;
using models::SympflowLossParams;
using models::SympflowResidualKernel;
using models::SympflowResidualKernelF;

namespace {

SympflowArchitecture make_arch(const std::vector<std::string>& names, Index layers,
                               std::vector<Index> hidden,
                               nn::Activation act = nn::Activation::Tanh)
{
    SympflowArchitecture a;
    a.state_names = names;
    for (const std::string& n : names)
        a.domain.push_back({n, -1.2, 1.2});
    a.layers = layers;
    a.hidden = std::move(hidden);
    a.activation = act;
    return a;
}

/// PyTorch's default init for every potential, then U(-0.2, 0.2) on every entry, so no weight
/// or bias is special.
Vec random_theta(const Sympflow& net, std::uint64_t seed)
{
    Rng rng(seed);
    const Index m = net.potential().num_params();
    Vec theta(net.num_params()), part;
    for (Index j = 0; j < 2 * net.arch().layers; ++j) {
        nn::init_params(net.potential(), nn::Init::Torch, rng, part);
        theta.segment(j * m, m) = part;
    }
    theta(theta.size() - 1) = 0;
    for (Index i = 0; i < theta.size(); ++i)
        theta(i) += rng.uniform(-0.2, 0.2);
    return theta;
}

/// t in [-0.1, 1], x0 in [-1.2, 1.2]^dim, as the loss draws them.
void random_points(Index rows, Index dim, Rng& rng, Vec& t, Mat& x0)
{
    t.resize(rows);
    x0.resize(rows, dim);
    for (Index i = 0; i < rows; ++i) {
        t(i) = rng.uniform(-0.1, 1.0);
        for (Index j = 0; j < dim; ++j)
            x0(i, j) = rng.uniform(-1.2, 1.2);
    }
}

struct TapeResult
{
    Mat N, dNdt;
    double S = 0;
    Vec grad;
};

/// The reference: the residual sum on the tape, built as SympflowLoss's tape path builds it.
TapeResult tape_residual(const Sympflow& net, const ode::System& system, const Vec& theta,
                         const Vec& t, const Mat& x0)
{
    ad::Tape tape;
    std::vector<std::vector<ad::Tape::Id>> ids;
    net.put_params(tape, theta, ids);
    const Sympflow::Nodes nodes = net.build(tape, ids, t, x0);
    const ad::Tape::Id F = models::field_on_tape(tape, system, t, nodes.N);
    const ad::Tape::Id L = tape.sum(tape.square(tape.sub(nodes.dNdt, F)));
    tape.backward(L);
    TapeResult r;
    r.N = tape.value(nodes.N);
    r.dNdt = tape.value(nodes.dNdt);
    r.S = tape.value(L)(0, 0);
    net.gather_gradient(tape, ids, r.grad);
    return r;
}

/// |a - b|_max / max(|b|_max, floor).
double rel_max(const Mat& a, const Mat& b, double floor = 1e-300)
{
    return (a - b).cwiseAbs().maxCoeff() / std::max(b.cwiseAbs().maxCoeff(), floor);
}

/// Calls check(net, system, theta, t, x0) for harmonic (2-D) and Henon-Heiles (4-D), 1 and 3
/// layer pairs, four hidden shapes and each row count, at random weights and points.
template <class Check>
void for_each_case(std::initializer_list<Index> row_counts, std::uint64_t seed, Check check)
{
    const auto harmonic = ode::make_builtin_system("harmonic");
    const auto hh = ode::make_builtin_system("henon-heiles");
    const std::vector<std::vector<Index>> shapes = {{10, 10}, {7, 5}, {8}, {6, 5, 4}};
    for (const ode::System* sys : {harmonic.get(), hh.get()})
        for (Index layers : {1, 3})
            for (const std::vector<Index>& hidden : shapes) {
                const Sympflow net(make_arch(sys->names(), layers, hidden));
                for (Index rows : row_counts) {
                    CAPTURE(sys->dim());
                    CAPTURE(layers);
                    CAPTURE(hidden.size());
                    CAPTURE(hidden.front());
                    CAPTURE(rows);
                    const Vec theta = random_theta(net, seed);
                    Rng rng(seed++);
                    Vec t;
                    Mat x0;
                    random_points(rows, sys->dim(), rng, t, x0);
                    check(net, *sys, theta, t, x0);
                }
            }
}

double loss_value(nn::Objective& loss, const Vec& theta)
{
    Vec g;
    return loss.evaluate_with_gradient(theta, g);
}

} // namespace

TEST_CASE("models sympflow fused: N, dN/dt, the residual and its gradient equal the tape's")
{
    // Same arithmetic in another order: the residual sum to 1e-12 relative, the gradient to
    // 1e-12 relative to its largest entry (summed over up to 300 rows and 6 potentials).
    // Measured worst: 4e-15 (N, dN/dt), 1e-15 (residual), 3e-15 (gradient).
    double worst_S = 0, worst_g = 0, worst_N = 0;
    for_each_case({1, 5, 300}, 100, [&](const Sympflow& net, const ode::System& sys,
                                        const Vec& theta, const Vec& t, const Mat& x0) {
        REQUIRE(SympflowResidualKernel::supports(net));
        SympflowResidualKernel kernel(net);
        const TapeResult ref = tape_residual(net, sys, theta, t, x0);
        Mat N, dNdt;
        kernel.flow(theta, t, x0, N, dNdt);
        const double eN = std::max(rel_max(N, ref.N), rel_max(dNdt, ref.dNdt));
        CHECK(eN <= 1e-13);
        Vec grad;
        const double S = kernel.residual(sys, theta, t, x0, &grad);
        CHECK(kernel.residual(sys, theta, t, x0, nullptr) == S);
        REQUIRE(grad.size() == net.num_params());
        CHECK(grad(grad.size() - 1) == 0.0);
        REQUIRE(ref.S > 0);
        const double eS = std::abs(S - ref.S) / ref.S;
        const double eg = rel_max(grad, ref.grad);
        CHECK(eS <= 1e-12);
        CHECK(eg <= 1e-12);
        worst_N = std::max(worst_N, eN);
        worst_S = std::max(worst_S, eS);
        worst_g = std::max(worst_g, eg);
    });
    MESSAGE("fused vs tape, worst relative: N, dN/dt " << worst_N << ", residual " << worst_S
                                                        << ", gradient " << worst_g);
}

TEST_CASE("models sympflow fused: the gradient against central differences")
{
    // Step 1e-5 as in test_models_sympflow.cpp: truncation ~1e-10 |S|, rounding ~1e-11 |S|;
    // 1e-6 relative to max(|g_i|, 1e-3 |g|_inf).
    const auto hh = ode::make_builtin_system("henon-heiles");
    const Sympflow net(make_arch(hh->names(), 3, {7, 5}));
    SympflowResidualKernel kernel(net);
    const Vec theta = random_theta(net, 21);
    Rng rng(22);
    Vec t;
    Mat x0;
    random_points(40, hh->dim(), rng, t, x0);
    Vec grad;
    kernel.residual(*hh, theta, t, x0, &grad);
    const double gmax = grad.cwiseAbs().maxCoeff();
    REQUIRE(gmax > 0);
    Rng pick(23);
    const double h = 1e-5;
    for (int k = 0; k < 12; ++k) {
        const Index i = Index(pick.next_u64() % std::uint64_t(theta.size() - 1));
        CAPTURE(i);
        Vec tp = theta, tm = theta;
        tp(i) += h;
        tm(i) -= h;
        const double fd = (kernel.residual(*hh, tp, t, x0, nullptr) -
                           kernel.residual(*hh, tm, t, x0, nullptr)) /
                          (2 * h);
        CAPTURE(fd);
        CAPTURE(grad(i));
        CHECK(std::abs(fd - grad(i)) <= 1e-6 * std::max(std::abs(grad(i)), 1e-3 * gmax));
    }
}

TEST_CASE("models sympflow fused: the float kernel agrees with the double one to float's "
          "precision")
{
    // The same template in float: N and dN/dt to 1e-5 relative (float's 6e-8 per operation,
    // through up to 6 potentials), the residual sum to 3e-6 and the gradient to 3e-5 relative
    // to its largest entry (sums over up to 300 rows in float). A wrong sign, a term lost or a
    // row read from the wrong branch gives errors of order 1. Measured worst: 6.5e-7, 2.2e-7,
    // 2.6e-6.
    double worst_N = 0, worst_S = 0, worst_g = 0;
    for_each_case({1, 5, 64, 300}, 500, [&](const Sympflow& net, const ode::System& sys,
                                            const Vec& theta, const Vec& t, const Mat& x0) {
        SympflowResidualKernel kernel(net);
        SympflowResidualKernelF kernel_f(net);
        Mat N, dNdt, N_f, dNdt_f;
        kernel.flow(theta, t, x0, N, dNdt);
        kernel_f.flow(theta, t, x0, N_f, dNdt_f);
        const double eN = std::max(rel_max(N_f, N), rel_max(dNdt_f, dNdt));
        CHECK(eN <= 1e-5);
        Vec grad, grad_f;
        const double S = kernel.residual(sys, theta, t, x0, &grad);
        const double S_f = kernel_f.residual(sys, theta, t, x0, &grad_f);
        CHECK(kernel_f.residual(sys, theta, t, x0, nullptr) == S_f);
        REQUIRE(grad_f.size() == net.num_params());
        CHECK(grad_f(grad_f.size() - 1) == 0.0);
        const double eS = std::abs(S_f - S) / S;
        const double eg = rel_max(grad_f, grad);
        CHECK(eS <= 3e-6);
        CHECK(eg <= 3e-5);
        worst_N = std::max(worst_N, eN);
        worst_S = std::max(worst_S, eS);
        worst_g = std::max(worst_g, eg);
    });
    MESSAGE("float vs double kernel, worst relative: N, dN/dt " << worst_N << ", residual "
                                                               << worst_S << ", gradient "
                                                               << worst_g);
}

TEST_CASE("models sympflow fused: a repeated residual allocates nothing")
{
    // The default architecture's 10-unit potentials at a training block of 64 rows; the
    // Henon-Heiles system's rhs and vjp allocate nothing either.
    const auto hh = ode::make_builtin_system("henon-heiles");
    const Sympflow net(make_arch(hh->names(), 3, {10, 10}));
    SympflowResidualKernel kernel(net);
    const Vec theta = random_theta(net, 31);
    Rng rng(32);
    Vec t;
    Mat x0;
    random_points(64, hh->dim(), rng, t, x0);
    Vec grad;
    const double first = kernel.residual(*hh, theta, t, x0, &grad);
    SympflowResidualKernelF kernel_f(net);
    const double first_f = kernel_f.residual(*hh, theta, t, x0, &grad);
    test::AllocationCount allocations;
    const double second = kernel.residual(*hh, theta, t, x0, &grad);
    const double second_f = kernel_f.residual(*hh, theta, t, x0, &grad);
    CHECK(allocations.count() == 0);
    CHECK(second == first);
    CHECK(second_f == first_f);
}

TEST_CASE("models sympflow fused: SympflowLoss with the kernel equals the tape path")
{
    // 300 points = blocks of 128, 128 and a short 44; Hamiltonian matching on and off; one and
    // two threads (the kernels are pooled across the blocks of concurrent workers).
    const auto hh = ode::make_builtin_system("henon-heiles");
    const Sympflow net(make_arch(hh->names(), 3, {10, 10}));
    const Vec theta = random_theta(net, 31);
    for (double ham_match : {0.0, 1.5})
        for (int threads : {1, 2}) {
            CAPTURE(ham_match);
            CAPTURE(threads);
            SympflowLossParams lp;
            lp.collocation = 300;
            lp.seed = 4;
            lp.ham_match = ham_match;
            lp.threads = threads;
            SympflowLoss fused(net, *hh, lp);
            lp.fused = false;
            SympflowLoss tape(net, *hh, lp);
            Vec gf, gt;
            for (int call = 0; call < 2; ++call) { // the second call reuses pooled kernels
                const double lf = fused.evaluate_with_gradient(theta, gf);
                const double lt = tape.evaluate_with_gradient(theta, gt);
                CHECK(std::abs(lf - lt) <= 1e-12 * lt);
                CHECK(rel_max(gf, gt) <= 1e-11);
                CHECK((gf(gf.size() - 1) == 0.0) == (ham_match == 0.0));
            }
            CHECK(fused.test_loss(theta) == doctest::Approx(tape.test_loss(theta)).epsilon(1e-12));
        }
}

TEST_CASE("models sympflow fused: single precision runs the Adam epochs in float, L-BFGS in "
          "double")
{
    // 300 points on two threads (blocks of 64 and a short 44). Before use_full_batch() the loss,
    // its gradient and the test loss are float's (close to double's, not equal); after it, on
    // L-BFGS's fixed set, they are double's bit for bit.
    const auto hh = ode::make_builtin_system("henon-heiles");
    const Sympflow net(make_arch(hh->names(), 3, {10, 10}));
    const Vec theta = random_theta(net, 51);
    SympflowLossParams lp;
    lp.collocation = 300;
    lp.seed = 6;
    lp.threads = 2;
    SympflowLoss dbl(net, *hh, lp);
    lp.precision = nn::Precision::single_precision;
    SympflowLoss sgl(net, *hh, lp);
    Vec gd, gs;
    const double ld = dbl.evaluate_with_gradient(theta, gd);
    const double ls = sgl.evaluate_with_gradient(theta, gs);
    CHECK(ls != ld);
    CHECK(std::abs(ls - ld) <= 3e-6 * ld);
    CHECK(rel_max(gs, gd) <= 3e-5);
    const double td = dbl.test_loss(theta), ts = sgl.test_loss(theta);
    CHECK(ts != td);
    CHECK(std::abs(ts - td) <= 3e-6 * td);
    dbl.use_full_batch();
    sgl.use_full_batch();
    CHECK(sgl.evaluate_with_gradient(theta, gs) == dbl.evaluate_with_gradient(theta, gd));
    CHECK(gs == gd);
    CHECK(sgl.test_loss(theta) == dbl.test_loss(theta));
}

TEST_CASE("models sympflow fused: other activations stay on the tape")
{
    const auto harmonic = ode::make_builtin_system("harmonic");
    const Sympflow net(make_arch(harmonic->names(), 2, {6, 6}, nn::Activation::Silu));
    CHECK_FALSE(SympflowResidualKernel::supports(net));
    CHECK_THROWS_AS(SympflowResidualKernel{net}, std::invalid_argument);
    const Vec theta = random_theta(net, 41);
    SympflowLossParams lp;
    lp.collocation = 50;
    SympflowLoss fused(net, *harmonic, lp);
    lp.fused = false;
    SympflowLoss tape(net, *harmonic, lp);
    CHECK(loss_value(fused, theta) == loss_value(tape, theta)); // the same tape, bit for bit
}
