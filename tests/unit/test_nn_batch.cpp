// lib/nn BatchEvaluator and MlpRegression: loss and gradient bitwise the same for 1..4 threads
// and close to one tape over the whole batch, finite differences through the adapter, Adam
// training identical for 1 and 2 threads, exceptions from a block reaching the caller.
#include "core/error.hpp"
#include "core/rng.hpp"
#include "nn/adam.hpp"
#include "nn/batch.hpp"
#include "nn/init.hpp"
#include "nn/mlp.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <stdexcept>
#include <string>

using namespace flowkit;

namespace {

/// n rows of x in [-2, 2]^2 (a fixed pattern) and y = sin(x0) cos(x1) + 0.1 x0 x1.
void regression_data(Index n, Mat& X, Mat& Y)
{
    X.resize(n, 2);
    Y.resize(n, 1);
    for (Index i = 0; i < n; ++i) {
        X(i, 0) = -2.0 + 4.0 * double((i * 37) % n) / double(n);
        X(i, 1) = -2.0 + 4.0 * double((i * 91 + 13) % n) / double(n);
        Y(i, 0) = std::sin(X(i, 0)) * std::cos(X(i, 1)) + 0.1 * X(i, 0) * X(i, 1);
    }
}

Vec initial_theta(const nn::Mlp& net, std::uint64_t seed = 0)
{
    Rng rng(seed);
    Vec theta;
    nn::init_glorot(net, rng, theta);
    return theta;
}

/// MSE and its gradient on one tape over the whole batch.
double single_tape_mse(const nn::Mlp& net, const Mat& X, const Mat& Y, const Vec& theta, Vec& g)
{
    ad::Tape tape;
    const auto p = net.put_params(tape, theta);
    const nn::Id L =
        tape.mean(tape.square(tape.sub(net.forward(tape, p, tape.input(X)), tape.input(Y))));
    tape.backward(L);
    net.gather_gradient(tape, p, g);
    return tape.value(L)(0, 0);
}

bool bitwise_equal(const Vec& a, const Vec& b)
{
    if (a.size() != b.size())
        return false;
    for (Index i = 0; i < a.size(); ++i)
        if (!(a(i) == b(i)))
            return false;
    return true;
}

} // namespace

TEST_CASE("nn batch: loss and gradient are bitwise the same for 1, 2, 3, 4 threads")
{
    const nn::Mlp net({2, 32, 32, 1}, nn::Activation::Tanh);
    Mat X, Y;
    regression_data(1000, X, Y);
    const Vec theta = initial_theta(net);
    Vec g_ref;
    const double f_ref = single_tape_mse(net, X, Y, theta, g_ref);

    for (Index block : {Index(128), Index(256)}) {
        CAPTURE(block);
        nn::MlpRegression one(net, X, Y, 1, block);
        Vec g1;
        const double f1 = one.evaluate_with_gradient(theta, g1);
        // blocked sums differ from one tape's mean by rounding only
        CHECK(std::abs(f1 - f_ref) <= 1e-12 * std::abs(f_ref));
        CHECK((g1 - g_ref).norm() <= 1e-12 * g_ref.norm());
        CHECK(g1.size() == net.num_params());
        for (int threads = 2; threads <= 4; ++threads) {
            CAPTURE(threads);
            nn::MlpRegression many(net, X, Y, threads, block);
            for (int call = 0; call < 3; ++call) { // the tapes are reused
                Vec g;
                const double f = many.evaluate_with_gradient(theta, g);
                CHECK(f == f1);
                CHECK(bitwise_equal(g, g1));
            }
        }
    }
}

TEST_CASE("nn batch: the adapter's gradient matches central finite differences")
{
    const nn::Mlp net({2, 8, 8, 1}, nn::Activation::Tanh);
    Mat X, Y;
    regression_data(300, X, Y);
    nn::MlpRegression f(net, X, Y, 2, 64); // 5 blocks, the last one short
    const Vec theta = initial_theta(net, 3);
    Vec g, scratch;
    f.evaluate_with_gradient(theta, g);
    Vec fd(theta.size());
    const double h = 1e-5;
    for (Index i = 0; i < theta.size(); ++i) {
        Vec tp = theta, tm = theta;
        tp(i) += h;
        tm(i) -= h;
        fd(i) = (f.evaluate_with_gradient(tp, scratch) - f.evaluate_with_gradient(tm, scratch)) /
                (2 * h);
    }
    // central differences with h = 1e-5: truncation ~h^2 |f'''| and rounding ~1e-16/h, both
    // far below 1e-6 of the gradient's norm
    CHECK((g - fd).norm() <= 1e-6 * g.norm());
}

TEST_CASE("nn batch: Adam on the adapter fits the regression, the same bits for 1 and 2 threads")
{
    const nn::Mlp net({2, 32, 32, 1}, nn::Activation::Tanh);
    Mat X, Y;
    regression_data(1000, X, Y);
    nn::AdamParams p;
    p.lr = 1e-2;
    p.epochs = 1500;
    Vec theta[2];
    double mse[2];
    for (int threads : {1, 2}) {
        nn::MlpRegression f(net, X, Y, threads, 256);
        theta[threads - 1] = initial_theta(net);
        mse[threads - 1] = nn::minimize_adam(f, theta[threads - 1], p);
    }
    CHECK(mse[0] < 1e-3);
    CHECK(mse[0] == mse[1]);
    CHECK(bitwise_equal(theta[0], theta[1]));
}

TEST_CASE("nn batch: an exception in a block function reaches the caller")
{
    for (int threads : {1, 2, 3}) {
        CAPTURE(threads);
        nn::BatchEvaluator eval(threads, 10);
        std::atomic<int> calls{0}; // block functions run on several threads at once
        const nn::BlockFn fn = [&](ad::Tape&, Index row0, Index rows, Vec& g) {
            g = Vec::Constant(3, double(rows));
            if (row0 == 20 || row0 == 40)
                throw ComputeError("block at row " + std::to_string(row0));
            return double(row0);
        };
        Vec g;
        // the first block in block order that threw is reported, whatever the scheduling
        CHECK_THROWS_WITH_AS(eval.evaluate(55, 3, fn, g), "block at row 20", ComputeError);
        // the evaluator still works afterwards
        const nn::BlockFn ok = [&](ad::Tape&, Index row0, Index rows, Vec& gb) {
            ++calls;
            gb = Vec::Constant(3, double(rows));
            return double(row0);
        };
        CHECK(eval.evaluate(55, 3, ok, g) == 0 + 10 + 20 + 30 + 40 + 50);
        CHECK(calls == 6);
        CHECK(bitwise_equal(g, Vec::Constant(3, 55.0)));
    }
}

TEST_CASE("nn batch: every block runs once, on a worker that runs nothing else meanwhile")
{
    // A block function may keep a workspace per current_worker(): no two blocks of one worker
    // may overlap. Blocks go to whichever worker is free, so the check is on what ran, not on a
    // fixed assignment.
    for (int threads : {1, 2, 3}) {
        CAPTURE(threads);
        nn::BatchEvaluator eval(threads, 4);
        std::atomic<int> busy[3] = {}, overlaps{0}, out_of_range{0};
        std::atomic<int> runs[26] = {};
        const nn::BlockFn fn = [&](ad::Tape&, Index row0, Index rows, Vec& g) {
            const int w = nn::BatchEvaluator::current_worker();
            if (w < 0 || w >= threads) {
                ++out_of_range;
                return 0.0;
            }
            overlaps += busy[w].exchange(1);
            ++runs[row0 / 4];
            double s = 0; // some work, so that blocks overlap in time
            for (int i = 0; i < 20000; ++i)
                s += std::sin(double(i + row0));
            g = Vec::Constant(2, double(rows));
            busy[w] = 0;
            return double(row0) + 0 * s;
        };
        Vec g;
        for (int call = 0; call < 5; ++call)
            CHECK(eval.evaluate(101, 2, fn, g) == 25.0 * 26.0 * 4.0 / 2.0);
        CHECK(out_of_range == 0);
        CHECK(overlaps == 0);
        for (const auto& r : runs)
            CHECK(r == 5);
        CHECK(bitwise_equal(g, Vec::Constant(2, 101.0)));
    }
}

TEST_CASE("nn batch: empty batches, bad gradients and bad settings")
{
    nn::BatchEvaluator eval(2, 4);
    CHECK(eval.blocks(0) == 0);
    CHECK(eval.blocks(9) == 3);
    Vec g;
    const nn::BlockFn fn = [](ad::Tape&, Index, Index, Vec& gb) {
        gb = Vec::Ones(2);
        return 1.0;
    };
    CHECK(eval.evaluate(0, 2, fn, g) == 0.0);
    CHECK(bitwise_equal(g, Vec::Zero(2)));
    CHECK_THROWS_AS(eval.evaluate(8, 3, fn, g), std::logic_error);
    CHECK_THROWS_AS(nn::BatchEvaluator(0, 4), UsageError);
    CHECK_THROWS_AS(nn::BatchEvaluator(1, 0), std::invalid_argument);
    const nn::Mlp net({2, 4, 1}, nn::Activation::Tanh);
    CHECK_THROWS_AS(nn::MlpRegression(net, Mat::Zero(5, 3), Mat::Zero(5, 1)), std::invalid_argument);
}
