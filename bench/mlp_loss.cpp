// Reference for bench/mlp.sh: forward + backward of two MLP losses on flowkit's ad::Tape, the
// tape cleared and rebuilt every iteration as training does.
//   mse W   : 2 -> W -> W -> 1 tanh MLP, MSE against a target on 1000 rows, backward to theta.
//   symp W  : scalar V(t, x), 3 -> W -> W -> 1 tanh, L = mean_rows || d/dt grad_x V ||^2
//             (hessian_vector along e_t, x columns), backward to theta (SympFlow-shaped).
//   sympk W : the same loss in closed form, nn::HessianVectorKernel, no tape.
//   peak    : a 2000 x 2000 Eigen matrix product, the machine's (one core's) GFLOP/s.
// Usage: mlp_loss mse|symp|sympk|peak [width] [repeats] [threads] [block_rows]. Without `threads` the
// step is the one tape above on the calling thread; with it (>= 1) the same loss goes through
// nn::BatchEvaluator(threads, block_rows = 500): each block of rows on its own tape, the block
// sums (of squared residuals, resp. of || d/dt grad_x V ||^2 over the block's rows) and their
// gradients added in block order, then divided by the 1000 rows, so the loss is the one-tape
// mean up to rounding (~1e-16 relative) whatever the thread count.
// Weights and inputs come from fixed formulas shared with bench/torch_mlp_loss.py:
//   theta[k] = sin(0.7 k + 0.3) / sqrt(fan_in of k's layer)   (theta's order, mlp.hpp)
//   X(i, j)  = sin(0.37 i + 1.1 j + 0.5),  y(i) = cos(0.13 i)
// Prints one line: case,median ms,loss,|grad theta|,MFLOP per step (matrix products only),GFLOP/s
#include "ad/tape.hpp"
#include "nn/batch.hpp"
#include "nn/hessian_vector_kernel.hpp"
#include "nn/mlp.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

using namespace flowkit;

namespace {

constexpr Index kRows = 1000;

Vec formula_theta(const nn::Mlp& net)
{
    Vec theta(net.num_params());
    Index k = 0;
    for (Index l = 0; l < net.layers(); ++l) {
        const Index in = net.widths()[std::size_t(l)], out = net.widths()[std::size_t(l) + 1];
        for (Index e = 0; e < out * (in + 1); ++e, ++k)
            theta[k] = std::sin(0.7 * double(k) + 0.3) / std::sqrt(double(in));
    }
    return theta;
}

Mat formula_inputs(Index cols)
{
    Mat X(kRows, cols);
    for (Index i = 0; i < kRows; ++i)
        for (Index j = 0; j < cols; ++j)
            X(i, j) = std::sin(0.37 * double(i) + 1.1 * double(j) + 0.5);
    return X;
}

double now_ms()
{
    return std::chrono::duration<double, std::milli>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

template <class Step>
double median_ms(Step&& step, int repeats)
{
    // Warm-up: the tape's matrices get their sizes, and the scheduler time to put two threads
    // on two CPUs (they may start on one and stay there for tens of milliseconds).
    const double warm_until = now_ms() + 300.0;
    for (int r = 0; r < 3 || now_ms() < warm_until; ++r)
        step();
    std::vector<double> t;
    for (int r = 0; r < repeats; ++r) {
        const double t0 = now_ms();
        step();
        t.push_back(now_ms() - t0);
    }
    std::sort(t.begin(), t.end());
    return t[t.size() / 2];
}

} // namespace

int main(int argc, char** argv)
{
    const std::string what = argc > 1 ? argv[1] : "mse";
    const Index W = argc > 2 ? std::atol(argv[2]) : 32;
    const int repeats = argc > 3 ? std::atoi(argv[3]) : 30;
    const int threads = argc > 4 ? std::atoi(argv[4]) : 0; // 0: the plain one-tape step
    const Index block_rows = argc > 5 ? std::atol(argv[5]) : 500;
    const double n = double(kRows), w = double(W);
    if (argc > 4 && threads < 1) {
        std::fprintf(stderr, "mlp_loss: threads must be >= 1\n");
        return 2;
    }

    if (what == "peak") {
        const Index N = 2000;
        Mat A = Mat::Random(N, N), B = Mat::Random(N, N), C(N, N);
        const double ms = median_ms([&] { C.noalias() = A * B; }, std::max(3, repeats / 10));
        const double mflop = 2.0 * double(N) * double(N) * double(N) / 1e6;
        std::printf("peak,%.4f,%.6g,0,%.1f,%.2f\n", ms, C(0, 0), mflop, mflop / ms);
        return 0;
    }

    ad::Tape tape;
    // Only built with `threads`: its helper threads then persist across steps, as in training.
    std::unique_ptr<nn::BatchEvaluator> eval;
    if (threads > 0)
        eval = std::make_unique<nn::BatchEvaluator>(threads, block_rows);
    double loss = 0.0;
    Vec grad;
    double mflop = 0.0;
    double ms = 0.0;
    // The median step of a loss given by its block function: without `threads` the whole batch
    // as one block on the calling thread, else through the BatchEvaluator; mean loss and gradient.
    auto time_block = [&](const nn::BlockFn& block, Index n_params) {
        auto step = [&] {
            tape.clear();
            loss = block(tape, 0, kRows, grad) / n;
            grad /= n;
        };
        auto batch_step = [&] {
            loss = eval->evaluate(kRows, n_params, block, grad) / n;
            grad /= n;
        };
        return eval ? median_ms(batch_step, repeats) : median_ms(step, repeats);
    };
    if (what == "mse") {
        const nn::Mlp net({2, W, W, 1}, nn::Activation::Tanh);
        const Vec theta = formula_theta(net);
        const Mat X = formula_inputs(2);
        Mat y(kRows, 1);
        for (Index i = 0; i < kRows; ++i)
            y(i, 0) = std::cos(0.13 * double(i));
        // One block: sum over its rows of the squared residuals (the mean is taken after the
        // block-order reduction).
        const nn::BlockFn block = [&](ad::Tape& t, Index row0, Index rows, Vec& g) {
            thread_local std::vector<ad::Tape::Id> params; // reused: no allocation per step
            net.put_params(t, theta, params);
            const auto out = net.forward(t, params, t.input(X.middleRows(row0, rows)));
            const auto L = t.sum(t.square(t.sub(out, t.input(y.middleRows(row0, rows)))));
            t.backward(L);
            net.gather_gradient(t, params, g);
            return t.value(L)(0, 0);
        };
        ms = time_block(block, net.num_params());
        // forward 2n(2W + W^2 + W); backward: layer 0 only dW (X is an input), others both
        mflop = (2 * n * (2 * w + w * w + w) + 2 * n * (2 * w + 2 * w * w + 2 * w)) / 1e6;
    } else if (what == "symp") {
        const nn::Mlp net({3, W, W, 1}, nn::Activation::Tanh);
        const Vec theta = formula_theta(net);
        const Mat X = formula_inputs(3);
        Mat E = Mat::Zero(kRows, 3);
        E.col(0).setOnes(); // e_t
        // One block: sum over its rows of || d/dt grad_x V ||^2 (mean taken after the reduction).
        const nn::BlockFn block = [&](ad::Tape& t, Index row0, Index rows, Vec& g) {
            thread_local std::vector<ad::Tape::Id> params; // reused: no allocation per step
            net.put_params(t, theta, params);
            const auto tr = net.trace(t, params, t.input(X.middleRows(row0, rows)));
            const auto Hv = net.hessian_vector(t, params, tr, t.input(E.middleRows(row0, rows)));
            const auto L = t.sum(t.square(t.cols(Hv, 1, 2)));
            t.backward(L);
            net.gather_gradient(t, params, g);
            return t.value(L)(0, 0);
        };
        ms = time_block(block, net.num_params());
        // forward: trace 2n(3W + W^2 + W), Z'_0 2n3W, Z'_1 2nW^2, B, B' 4nW^2, Dp W_0 2nW3;
        // backward: the products the loss reaches (Z_0, Z'_0 only dW; the rest both sides)
        const double d0 = 3;
        mflop = (2 * n * (3 * d0 * w + 4 * w * w + w) + 8 * n * d0 * w + 16 * n * w * w) / 1e6;
    } else if (what == "sympk") {
        const nn::Mlp net({3, W, W, 1}, nn::Activation::Tanh);
        const Vec theta = formula_theta(net);
        const Mat X = formula_inputs(3);
        Mat E = Mat::Zero(kRows, 3);
        E.col(0).setOnes(); // e_t
        const nn::HessianVectorKernel kernel(net, theta);
        // One block: [G; HV] of its rows, S = sum || HV's x columns ||^2, dS/dHV = 2 HV there.
        const nn::BlockFn block = [&](ad::Tape&, Index row0, Index rows, Vec& g) {
            thread_local nn::HessianVectorKernel::Workspace ws;
            thread_local nn::HessianVectorKernel::ReverseWorkspace rs;
            thread_local Mat X_block, E_block, GHbar;
            X_block = X.middleRows(row0, rows);
            E_block = E.middleRows(row0, rows);
            kernel.forward(X_block, E_block, ws);
            GHbar.setZero(2 * rows, 3);
            GHbar.bottomRightCorner(rows, 2) = 2.0 * ws.out.bottomRightCorner(rows, 2);
            g.setZero(net.num_params());
            kernel.reverse(GHbar, ws, rs, g, nullptr);
            return ws.out.bottomRightCorner(rows, 2).squaredNorm();
        };
        ms = time_block(block, net.num_params());
        // products of 2n stacked rows; forward: [Z; P] through W_0 and W_1, [B; Bp] through W_1,
        // [G; HV] through W_0; reverse: three through W_0 (the input's adjoint is not needed),
        // four through W_1
        const double d0 = 3;
        mflop = 2 * 2 * n * (5 * d0 * w + 6 * w * w) / 1e6;
    } else {
        std::fprintf(stderr, "usage: mlp_loss mse|symp|sympk|peak [width] [repeats] [threads] [block_rows]\n");
        return 2;
    }
    std::printf("%s%ld,%.4f,%.17g,%.17g,%.1f,%.2f\n", what.c_str(), long(W), ms, loss,
                grad.norm(), mflop, mflop / ms);
    return 0;
}
