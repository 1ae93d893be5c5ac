#include "models/collocation.hpp"

#include "core/error.hpp"

#include <array>
#include <cstdint>
#include <stdexcept>

namespace flowkit::models {

namespace {

/// Bits of the Sobol direction numbers: a double holds 52-bit fractions exactly, and indices
/// up to 2^52 - 1 need direction numbers 1 .. 52 only.
constexpr int sobol_bits = 52;

/// One row of Joe & Kuo's new-joe-kuo-6.21201 table: the primitive polynomial
///   x^s + a_1 x^(s-1) + ... + a_(s-1) x + 1,   a = a_1 ... a_(s-1) as bits, a_1 the highest,
/// and the initial direction numbers m_1 .. m_s (m_k odd, m_k < 2^k).
struct SobolPolynomial
{
    int s;
    unsigned a;
    std::array<std::uint64_t, 6> m;
};

/// Dimensions 2 .. 16; dimension 1 is van der Corput in base 2 (every m_k = 1).
constexpr std::array<SobolPolynomial, max_sampler_dim - 1> joe_kuo = {{
    {1, 0, {1}},
    {2, 1, {1, 3}},
    {3, 1, {1, 3, 1}},
    {3, 2, {1, 1, 1}},
    {4, 1, {1, 1, 3, 3}},
    {4, 4, {1, 3, 5, 13}},
    {5, 2, {1, 1, 5, 5, 17}},
    {5, 4, {1, 1, 5, 5, 5}},
    {5, 7, {1, 1, 7, 11, 19}},
    {5, 11, {1, 1, 5, 1, 1}},
    {5, 13, {1, 1, 1, 3, 11}},
    {5, 14, {1, 3, 5, 5, 31}},
    {6, 1, {1, 3, 3, 9, 7, 49}},
    {6, 13, {1, 1, 1, 15, 21, 21}},
    {6, 16, {1, 3, 1, 13, 27, 49}},
}};

constexpr std::array<std::uint64_t, max_sampler_dim> primes = {2,  3,  5,  7,  11, 13, 17, 19,
                                                               23, 29, 31, 37, 41, 43, 47, 53};

using Directions = std::array<std::uint64_t, sobol_bits + 1>; // [k] = v_k, k = 1 .. 52

/// Direction numbers v_k = m_k 2^(52 - k) of dimension `d` (0-based). Past the initial ones,
/// Bratley & Fox's recurrence in the scaled form
///   v_k = a_1 v_(k-1) ^ ... ^ a_(s-1) v_(k-s+1) ^ v_(k-s) ^ (v_(k-s) >> s).
Directions sobol_directions(Index d)
{
    Directions v{};
    if (d == 0) {
        for (int k = 1; k <= sobol_bits; ++k)
            v[k] = std::uint64_t(1) << (sobol_bits - k);
        return v;
    }
    const SobolPolynomial& p = joe_kuo[std::size_t(d - 1)];
    for (int k = 1; k <= p.s; ++k)
        v[k] = p.m[std::size_t(k - 1)] << (sobol_bits - k);
    for (int k = p.s + 1; k <= sobol_bits; ++k) {
        v[k] = v[k - p.s] ^ (v[k - p.s] >> p.s);
        for (int j = 1; j < p.s; ++j)
            if ((p.a >> (p.s - 1 - j)) & 1U)
                v[k] ^= v[k - j];
    }
    return v;
}

/// Points 1 .. n in Gray-code order (Antonov & Saleev): point i differs from point i - 1 by
/// v_c, c - 1 = the number of trailing zero bits of i; so no index needs decomposing.
void sobol(Index n, Index dim, Mat& out)
{
    constexpr double scale = 1.0 / double(std::uint64_t(1) << sobol_bits);
    for (Index d = 0; d < dim; ++d) {
        const Directions v = sobol_directions(d);
        std::uint64_t x = 0;
        for (Index i = 1; i <= n; ++i) {
            int c = 1;
            for (std::uint64_t b = std::uint64_t(i); (b & 1U) == 0; b >>= 1)
                ++c;
            x ^= v[std::size_t(c)];
            out(i - 1, d) = double(x) * scale; // exact: x < 2^52
        }
    }
}

/// Radical inverse of i in base b: the digits of i mirrored about the radix point,
///   i = sum_k d_k b^k  ->  sum_k d_k b^(-k-1),
/// gathered as an integer over b^K and divided once, so the result is correctly rounded
/// (b^K <= b i stays far below 2^64 for any n that fits in memory).
double radical_inverse(std::uint64_t i, std::uint64_t b)
{
    std::uint64_t mirrored = 0, denominator = 1;
    for (; i > 0; i /= b) {
        mirrored = mirrored * b + i % b;
        denominator *= b;
    }
    return double(mirrored) / double(denominator);
}

void halton(Index n, Index dim, Mat& out)
{
    for (Index d = 0; d < dim; ++d)
        for (Index i = 1; i <= n; ++i)
            out(i - 1, d) = radical_inverse(std::uint64_t(i), primes[std::size_t(d)]);
}

/// Cranley-Patterson rotation: x <- (x + u_j) mod 1 with one u_j per column. Both terms are
/// in [0, 1), so the sum is below 2 and one subtraction (exact for sums in [1, 2)) suffices.
void shift_modulo_one(Rng& rng, Mat& out)
{
    constexpr double below_one = 1.0 - 0x1p-53; // the largest double < 1
    for (Index j = 0; j < out.cols(); ++j) {
        const double u = rng.uniform();
        for (Index i = 0; i < out.rows(); ++i) {
            double y = out(i, j) + u;
            if (y >= 1.0)
                y -= 1.0;
            out(i, j) = y < 1.0 ? y : below_one; // cannot trigger, but [0, 1) is the promise
        }
    }
}

} // namespace

Sampler parse_sampler(const std::string& name)
{
    for (Sampler s : {Sampler::uniform, Sampler::sobol, Sampler::halton})
        if (name == to_string(s))
            return s;
    throw UsageError("--sampler must be uniform, sobol or halton (got '" + name + "')");
}

std::string to_string(Sampler sampler)
{
    switch (sampler) {
    case Sampler::uniform:
        return "uniform";
    case Sampler::sobol:
        return "sobol";
    case Sampler::halton:
        return "halton";
    }
    return "uniform";
}

void sample_unit_cube(Sampler sampler, Index n, Index dim, Rng& rng, Mat& out)
{
    if (n < 0)
        throw std::invalid_argument("sample_unit_cube: n must be >= 0");
    if (dim < 1)
        throw std::invalid_argument("sample_unit_cube: dim must be >= 1");
    if (sampler != Sampler::uniform && dim > max_sampler_dim)
        throw std::invalid_argument("sample_unit_cube: " + to_string(sampler) + " supports dim <= "
                                    + std::to_string(max_sampler_dim));
    out.resize(n, dim);
    switch (sampler) {
    case Sampler::uniform:
        // Row by row, so that a longer run with the same seed starts with the same points.
        for (Index i = 0; i < n; ++i)
            for (Index j = 0; j < dim; ++j)
                out(i, j) = rng.uniform();
        return;
    case Sampler::sobol:
        sobol(n, dim, out);
        break;
    case Sampler::halton:
        halton(n, dim, out);
        break;
    }
    shift_modulo_one(rng, out);
}

} // namespace flowkit::models
