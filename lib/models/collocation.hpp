// Collocation points for physics-informed losses (CLI.md "pinn-train" --sampler): uniform
// random, or low-discrepancy Sobol (Joe & Kuo direction numbers) and Halton sequences with a
// random shift modulo 1 (Cranley-Patterson), so that every redraw is a new, equally even set.
#pragma once

#include "core/eigen.hpp"
#include "core/rng.hpp"

#include <string>

namespace flowkit::models {

enum class Sampler
{
    uniform,
    sobol,
    halton
};

/// "uniform", "sobol", "halton" -> sampler; UsageError naming --sampler otherwise.
Sampler parse_sampler(const std::string& name);
std::string to_string(Sampler sampler);

/// Largest dimension the quasi-random samplers support.
constexpr Index max_sampler_dim = 16;

/// n points of [0, 1)^dim, one per row, into `out` (resized to n x dim):
///   uniform  every entry rng.uniform(), row by row
///   sobol    points 1 .. n of the Sobol sequence (the first, all zeros, is skipped), then
///            shifted by one rng.uniform() per column, modulo 1
///   halton   points 1 .. n of the Halton sequence in the first dim primes, shifted likewise
/// The draws from rng are the same for a given (sampler, n, dim): n * dim for uniform, dim
/// (the shifts, drawn first) for sobol and halton. std::invalid_argument if n < 0, dim < 1,
/// or dim > max_sampler_dim for sobol and halton.
void sample_unit_cube(Sampler sampler, Index n, Index dim, Rng& rng, Mat& out);

} // namespace flowkit::models
