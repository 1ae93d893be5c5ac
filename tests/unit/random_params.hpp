// Random network weights for tests: PyTorch's default initialisation from a seed, scaled up so
// that the activations' nonlinearity matters.
#pragma once

#include "core/eigen.hpp"
#include "core/rng.hpp"
#include "nn/init.hpp"
#include "nn/mlp.hpp"

#include <cstdint>

namespace flowkit::test {

/// init_torch(net) from Rng(seed), times scale.
inline Vec random_params(const nn::Mlp& net, std::uint64_t seed, double scale)
{
    Rng rng(seed);
    Vec theta;
    nn::init_torch(net, rng, theta);
    return scale * theta;
}

} // namespace flowkit::test
