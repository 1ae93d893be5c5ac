// Initial weights for an Mlp, drawn from the one seeded flowkit::Rng (DESIGN.md "Numbers").
// Draw order: theta's own order (mlp.hpp): layer by layer, W row-major, then b, one
// rng.uniform() per drawn entry; entries set to zero draw nothing.
#pragma once

#include "core/rng.hpp"
#include "nn/mlp.hpp"

#include <string>

namespace flowkit::nn {

enum class Init
{
    Glorot, ///< W ~ U(-a, a), a = sqrt(6 / (fan_in + fan_out)); b = 0 (no draws)
    Torch   ///< PyTorch nn.Linear default: W, b ~ U(-k, k), k = 1 / sqrt(fan_in)
};

/// "glorot", "torch".
const char* init_name(Init init);
/// Inverse of init_name; throws UsageError naming --init otherwise.
Init parse_init(const std::string& name);

/// Glorot/Xavier uniform weights and zero biases; theta is resized to net.num_params().
void init_glorot(const Mlp& net, Rng& rng, Vec& theta);
/// PyTorch's default for nn.Linear; theta is resized to net.num_params().
void init_torch(const Mlp& net, Rng& rng, Vec& theta);
/// Dispatches on init.
void init_params(const Mlp& net, Init init, Rng& rng, Vec& theta);

} // namespace flowkit::nn
