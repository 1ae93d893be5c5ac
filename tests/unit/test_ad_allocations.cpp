// A training step reuses the tape's memory: once a loss has been built and differentiated, building
// and differentiating it again allocates nothing.
#include "ad/tape.hpp"
#include "allocation_counter.hpp"
#include "nn/mlp.hpp"

#include <doctest/doctest.h>

using namespace flowkit;

namespace {

/// An MSE loss of a 2-layer tanh network written directly with tape ops, and its backward.
double mlp_step(ad::Tape& tape, const Mat& X, const Mat& Y, const Mat& W1, const Mat& b1,
                const Mat& W2, const Mat& b2)
{
    tape.clear();
    const auto x = tape.input(X), y = tape.input(Y);
    const auto w1 = tape.param(W1), c1 = tape.param(b1), w2 = tape.param(W2), c2 = tape.param(b2);
    const auto h = tape.tanh(tape.add_row(tape.matmul_t(x, w1), c1));
    const auto out = tape.add_row(tape.matmul_t(h, w2), c2);
    const auto loss = tape.mean(tape.square(tape.sub(out, y)));
    tape.backward(loss);
    return tape.value(loss)(0, 0);
}

} // namespace

TEST_CASE("ad allocations: rebuilding and differentiating the same loss allocates nothing")
{
    const Mat X = Mat::Random(256, 2), Y = Mat::Random(256, 1);
    const Mat W1 = Mat::Random(32, 2), b1 = Mat::Random(1, 32), W2 = Mat::Random(1, 32),
              b2 = Mat::Random(1, 1);
    ad::Tape tape;
    const double first = mlp_step(tape, X, Y, W1, b1, W2, b2);
    test::AllocationCount allocations;
    const double second = mlp_step(tape, X, Y, W1, b1, W2, b2);
    CHECK(allocations.count() == 0);
    CHECK(second == first);
}

TEST_CASE("ad allocations: the counter sees allocations")
{
    test::AllocationCount allocations;
    std::vector<double> v(100, 1.0);
    CHECK(allocations.count() == 1);
    CHECK(v[99] == 1.0);
}

TEST_CASE("ad allocations: an MLP training step through nn::Mlp allocates nothing after the first")
{
    nn::Mlp net({2, 32, 32, 1}, nn::Activation::Tanh);
    const Vec theta = Vec::Random(net.num_params());
    const Mat X = Mat::Random(256, 2);
    ad::Tape tape;
    std::vector<ad::Tape::Id> params;
    Vec grad;
    long counts[2];
    double losses[2];
    for (int it = 0; it < 2; ++it) {
        test::AllocationCount allocations;
        tape.clear();
        net.put_params(tape, theta, params);
        const auto loss = tape.mean(tape.square(net.forward(tape, params, tape.input(X))));
        tape.backward(loss);
        net.gather_gradient(tape, params, grad);
        losses[it] = tape.value(loss)(0, 0);
        counts[it] = allocations.count();
    }
    CHECK(counts[0] > 0);  // the first build allocates the tape's memory
    CHECK(counts[1] == 0); // the second reuses it
    CHECK(losses[1] == losses[0]);
}
