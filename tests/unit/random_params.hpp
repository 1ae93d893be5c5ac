// Random network weights for tests: PyTorch's default initialisation from a seed, scaled up so
// that the activations' nonlinearity matters.
#pragma once

#include "core/eigen.hpp"
#include "core/rng.hpp"
#include "nn/init.hpp"
#include "nn/mlp.hpp"

#include <array>
#include <cstdint>

namespace flowkit::test {

/// Every activation the networks offer, for tests that cover them all.
inline constexpr std::array<nn::Activation, 6> all_activations = {
    nn::Activation::Tanh,     nn::Activation::Sin,  nn::Activation::Sigmoid,
    nn::Activation::Softplus, nn::Activation::Silu, nn::Activation::Gelu};

/// init_torch(net) from Rng(seed), times scale.
inline Vec random_params(const nn::Mlp& net, std::uint64_t seed, double scale)
{
    Rng rng(seed);
    Vec theta;
    nn::init_torch(net, rng, theta);
    return scale * theta;
}

} // namespace flowkit::test
