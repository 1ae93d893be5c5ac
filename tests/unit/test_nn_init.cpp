// lib/nn init: seeded reproducibility, draw order, bounds, and the sample variance of a large
// layer against the uniform distribution's a^2 / 3.
#include "core/error.hpp"
#include "core/rng.hpp"
#include "nn/init.hpp"

#include <doctest/doctest.h>

#include <cmath>

using namespace flowkit;
using nn::Activation;
using nn::Mlp;

namespace {

/// Sample variance (about zero mean) of W of layer l.
double weight_variance(const Mlp& net, const Vec& theta, Index l)
{
    const Index in = net.widths()[std::size_t(l)], out = net.widths()[std::size_t(l) + 1];
    return theta.segment(net.weight_offset(l), in * out).squaredNorm() / double(in * out);
}

} // namespace

TEST_CASE("nn init: seeded reproducibility and draw order")
{
    const Mlp net({3, 8, 5, 2}, Activation::Tanh);
    for (nn::Init init : {nn::Init::Glorot, nn::Init::Torch}) {
        Rng a(42), b(42), c(43);
        Vec ta, tb, tc;
        nn::init_params(net, init, a, ta);
        nn::init_params(net, init, b, tb);
        nn::init_params(net, init, c, tc);
        REQUIRE(ta.size() == net.num_params());
        CHECK((ta - tb).norm() == 0.0);
        CHECK((ta - tc).norm() > 0.0);
    }
    // torch: every entry in theta's order, one uniform draw each
    {
        Rng rng(7), ref(7);
        Vec theta;
        nn::init_torch(net, rng, theta);
        for (Index l = 0; l < net.layers(); ++l) {
            const Index in = net.widths()[std::size_t(l)], out = net.widths()[std::size_t(l) + 1];
            const double k = 1.0 / std::sqrt(double(in));
            for (Index j = 0; j < out * (in + 1); ++j)
                CHECK(theta(net.weight_offset(l) + j) == ref.uniform(-k, k));
        }
    }
    // glorot: weights in theta's order, biases zero and draw nothing
    {
        Rng rng(7), ref(7);
        Vec theta;
        nn::init_glorot(net, rng, theta);
        for (Index l = 0; l < net.layers(); ++l) {
            const Index in = net.widths()[std::size_t(l)], out = net.widths()[std::size_t(l) + 1];
            const double a = std::sqrt(6.0 / double(in + out));
            for (Index j = 0; j < out * in; ++j)
                CHECK(theta(net.weight_offset(l) + j) == ref.uniform(-a, a));
            CHECK(theta.segment(net.weight_offset(l) + out * in, out).norm() == 0.0);
        }
    }
    CHECK(nn::parse_init("glorot") == nn::Init::Glorot);
    CHECK(nn::parse_init("torch") == nn::Init::Torch);
    CHECK_THROWS_AS(nn::parse_init("he"), UsageError);
}

TEST_CASE("nn init: bounds and variance of a large layer")
{
    // 600 x 400 = 240000 draws: the relative standard error of the sample variance of a
    // uniform is sqrt(0.8 / N) ~ 0.2 %, so 2 % is a > 9 sigma bound.
    const Mlp net({400, 600, 3}, Activation::Tanh);
    Rng rng(0);
    Vec theta;

    nn::init_glorot(net, rng, theta);
    for (Index l = 0; l < net.layers(); ++l) {
        const Index in = net.widths()[std::size_t(l)], out = net.widths()[std::size_t(l) + 1];
        const double a = std::sqrt(6.0 / double(in + out));
        CHECK(theta.segment(net.weight_offset(l), in * out).cwiseAbs().maxCoeff() <= a);
    }
    const double glorot_var = 2.0 / (400.0 + 600.0); // a^2 / 3
    CHECK(std::abs(weight_variance(net, theta, 0) / glorot_var - 1.0) < 0.02);

    nn::init_torch(net, rng, theta);
    for (Index l = 0; l < net.layers(); ++l) {
        const Index in = net.widths()[std::size_t(l)], out = net.widths()[std::size_t(l) + 1];
        const double k = 1.0 / std::sqrt(double(in));
        CHECK(theta.segment(net.weight_offset(l), out * (in + 1)).cwiseAbs().maxCoeff() <= k);
    }
    const double torch_var = 1.0 / (3.0 * 400.0); // k^2 / 3
    CHECK(std::abs(weight_variance(net, theta, 0) / torch_var - 1.0) < 0.02);
}
