// tanh on chunks of 64 bytes (core/chunk.hpp), the arithmetic of ad::tanh_values (the same
// bits), for loops that compute tanh where its argument is in registers: the fused steps of
// nn::HessianVectorKernel.
#pragma once

#include "core/chunk.hpp"

#include <cstdint>
#include <type_traits>

namespace flowkit::ad {

// tanh |x| = (1 - e^y) / (1 + e^y) with y = -2|x| <= 0: no overflow; y below -cap, where
// tanh = 1 to the precision, gives 1; a NaN fails every comparison and propagates. e^y = s e^r
// with s = 2^k, k = round(y / ln 2), r = y - k ln 2 in [-ln2/2, ln2/2], and e^r = 1 + 2r / (R - r),
// R = r coth(r/2) = 2 + z P(z), z = r^2 (R is even: a polynomial in z has half the degree of
// one in r for e^r; lib/ad/tanh_coefficients.py computes P). Then
//   tanh |x| = ((1 - s) R - (1 + s) r) / ((R - r) + s (R + r)),
// one division, and no cancellation as x -> 0 (s = 1: -2r / 2R, exact terms). The loop is bound
// by its multiply-adds (two pipes; additions have two more): 11 a vector against 15 for the
// Taylor-like e^r - 1 = r P(r) of degree 10 this replaced (0.76 -> 0.60 ns an entry in double,
// 0.25 -> 0.23 in float; within 2.9 and 2.5 ulps against long double's tanh, as before; 3.1
// in float built without FMA).
template <class Scalar>
struct TanhConstants;

// r in one step: the rounding of k ln 2 (|k| <= 58) moves e^y by about |k| 2^-53 relative, and
// tanh by about 2 e^y |k| 2^-53 with e^y < 2^(k + 1/2), k <= 0: below an ulp for every k.
// P: R to 3.5e-18.
template <>
struct TanhConstants<double>
{
    using Bits = std::uint64_t;
    static constexpr double cap = 40.0, log2e = 1.4426950408889634, ln2 = 0.69314718055994531;
    static constexpr double shifter = 0x1.8p52; // adding it rounds to an integer (low bits)
    static constexpr int exponent_bias = 1023, mantissa_bits = 52, degree = 4;
    static constexpr double P[degree + 1] = {0.1666666666666666, -0.002777777777756472,
                                             6.613756471765356e-05, -1.6534060240198815e-06,
                                             4.1437755944338909e-08};
};

// P: R to 6.8e-9.
template <>
struct TanhConstants<float>
{
    using Bits = std::uint32_t;
    static constexpr float cap = 20.0f, log2e = 1.44269504f, ln2 = 0.693147182f; // tanh 10 = 1
    static constexpr float shifter = 0x1.8p23f;
    static constexpr int exponent_bias = 127, mantissa_bits = 23, degree = 1;
    static constexpr float P[degree + 1] = {0.1666665524f, -0.002769856015f};
};

/// 2^k for k integral in [-64, 0] (in float [-32, 0]). With AVX-512 one instruction (scalef);
/// else k's bits made the exponent's.
template <class Scalar>
[[gnu::always_inline]] inline Chunk<Scalar> exp2_integer(Chunk<Scalar> k)
{
    using V = Chunk<Scalar>;
#ifdef __AVX512F__
    if constexpr (std::is_same_v<Scalar, double>)
        return V(_mm512_scalef_pd(_mm512_set1_pd(1.0), __m512d(k)));
    else
        return V(_mm512_scalef_ps(_mm512_set1_ps(1.0f), __m512(k)));
#else
    using C = TanhConstants<Scalar>;
    typedef typename C::Bits Bits __attribute__((vector_size(64)));
    // k + shifter holds k in its low bits; the shift drops the high ones.
    return V(((Bits)(k + C::shifter) + C::exponent_bias) << C::mantissa_bits);
#endif
}

/// |t| with x's sign. With AVX-512 one bitwise select (ternary logic 0xCA: sign ? x : t), where
/// the compiler makes two of the masks and the or.
template <class Scalar>
[[gnu::always_inline]] inline Chunk<Scalar> copysign(Chunk<Scalar> t, Chunk<Scalar> x)
{
    using V = Chunk<Scalar>;
    using C = TanhConstants<Scalar>;
    typedef typename C::Bits Bits __attribute__((vector_size(64)));
    const Bits sign = Bits{} + (typename C::Bits(1) << (8 * sizeof(Scalar) - 1));
#ifdef __AVX512F__
    return V(_mm512_ternarylogic_epi64(__m512i(sign), __m512i(x), __m512i(t), 0xCA));
#else
    return V(((Bits)t & ~sign) | ((Bits)x & sign));
#endif
}

/// x[u] = tanh(x[u]) for N chunks, interleaved: N independent chains of multiply-adds. y's cap
/// is a blend at the end and y's sign is folded into the constants (exact).
// Inlined always: called inside loops over chunks, where a call costs as much as tanh.
template <class Scalar, int N>
[[gnu::always_inline]] inline void tanh_chunks(Chunk<Scalar>* x)
{
    using C = TanhConstants<Scalar>;
    using V = Chunk<Scalar>;
    typedef typename C::Bits Bits __attribute__((vector_size(64)));
    using Mask = decltype(V{} > V{});
    const Bits sign = Bits{} + (typename C::Bits(1) << (8 * sizeof(Scalar) - 1));
    V k[N], r[N], z[N], p[N];
    Mask capped[N];
    for (int u = 0; u < N; ++u) {
        const V a = V((Bits)x[u] & ~sign);
        const V minus_y = a + a;
        capped[u] = minus_y > C::cap;
        k[u] = (minus_y * -C::log2e + C::shifter) - C::shifter;
        r[u] = -(k[u] * C::ln2) - minus_y;
        z[u] = r[u] * r[u];
        p[u] = V{} + C::P[C::degree];
    }
    for (int j = C::degree - 1; j >= 0; --j)
        for (int u = 0; u < N; ++u)
            p[u] = p[u] * z[u] + C::P[j];
    for (int u = 0; u < N; ++u) {
        const V R = p[u] * z[u] + Scalar(2);
        const V s = exp2_integer<Scalar>(k[u]);
        const V num = (Scalar(1) - s) * R - (Scalar(1) + s) * r[u];
        const V den = (R - r[u]) + s * (R + r[u]);
        const V t = capped[u] ? V{} + Scalar(1) : num / den;
        x[u] = copysign<Scalar>(t, x[u]);
    }
}

} // namespace flowkit::ad
