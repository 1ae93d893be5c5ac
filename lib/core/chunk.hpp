// 64 bytes of a column, eight doubles or sixteen floats: one AVX-512 register (two AVX ones; GCC's
// vector extension splits it). The unit of the hand-vectorised loops over the rows of a batch
// (nn::chunked_times, the fused steps of nn::HessianVectorKernel, ad::tanh_chunks).
//
// Functions here take and return chunks by value (measured 5 % faster than by reference in the
// products); without AVX-512 (FLOWKIT_NATIVE=OFF) GCC warns that such a calling convention
// differs from that of AVX-512 builds. No call crosses that boundary (every user is compiled
// with the same flags), so the warning is off for the files that include this one.
#pragma once

#include "core/eigen.hpp"

#include <cstring>
#include <type_traits>

#ifdef __AVX512F__
#include <immintrin.h>
#endif

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wpsabi"
#endif

namespace flowkit {

template <class Scalar>
struct ChunkOf;
template <>
struct ChunkOf<double>
{
    typedef double type __attribute__((vector_size(64)));
};
template <>
struct ChunkOf<float>
{
    typedef float type __attribute__((vector_size(64)));
};
template <class Scalar>
using Chunk = typename ChunkOf<Scalar>::type;
/// Entries of a chunk.
template <class Scalar>
constexpr Index chunk_lanes = 64 / sizeof(Scalar);

template <class Scalar>
Chunk<Scalar> load(const Scalar* p)
{
    Chunk<Scalar> v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

template <class Scalar>
void store(Scalar* p, Chunk<Scalar> v)
{
    std::memcpy(p, &v, sizeof v);
}

/// s in every lane: a broadcast. (V{} + s is an addition, which the compiler keeps: 0 + -0 is
/// +0; where s changes in a loop it costs an addition and a shuffle per use.)
template <class Scalar>
Chunk<Scalar> splat(Scalar s)
{
#ifdef __AVX512F__ // (GCC makes a loop over the lanes eight masked broadcasts)
    if constexpr (std::is_same_v<Scalar, double>)
        return reinterpret_cast<Chunk<Scalar>>(_mm512_set1_pd(s));
    else
        return reinterpret_cast<Chunk<Scalar>>(_mm512_set1_ps(s));
#else
    Chunk<Scalar> v;
    for (Index i = 0; i < chunk_lanes<Scalar>; ++i)
        v[i] = s;
    return v;
#endif
}

/// The first n <= lanes entries, the rest zero; and back. A block's last rows go through the
/// vector code too: scalar loops over up to 15 float rows took a sixth of a single-precision
/// node-fit iteration. With AVX-512, masked loads and stores (a memcpy of n entries compiles to
/// rep movs, slower than the scalar loops).
template <class Scalar>
Chunk<Scalar> load_partial(const Scalar* p, Index n)
{
    Chunk<Scalar> v{};
#ifdef __AVX512F__
    const auto mask = static_cast<__mmask16>((1u << n) - 1);
    if constexpr (std::is_same_v<Scalar, double>)
        v = reinterpret_cast<Chunk<Scalar>>(_mm512_maskz_loadu_pd(__mmask8(mask), p));
    else
        v = reinterpret_cast<Chunk<Scalar>>(_mm512_maskz_loadu_ps(mask, p));
#else
    for (Index i = 0; i < n; ++i)
        v[i] = p[i];
#endif
    return v;
}

template <class Scalar>
void store_partial(Scalar* p, Chunk<Scalar> v, Index n)
{
#ifdef __AVX512F__
    const auto mask = static_cast<__mmask16>((1u << n) - 1);
    if constexpr (std::is_same_v<Scalar, double>)
        _mm512_mask_storeu_pd(p, __mmask8(mask), reinterpret_cast<__m512d>(v));
    else
        _mm512_mask_storeu_ps(p, mask, reinterpret_cast<__m512>(v));
#else
    for (Index i = 0; i < n; ++i)
        p[i] = v[i];
#endif
}

/// n entries at p: a whole chunk (n = lanes) or its first n.
template <class Scalar>
Chunk<Scalar> load(const Scalar* p, Index n)
{
    return n == chunk_lanes<Scalar> ? load(p) : load_partial(p, n);
}

template <class Scalar>
void store(Scalar* p, Chunk<Scalar> v, Index n)
{
    if (n == chunk_lanes<Scalar>)
        store(p, v);
    else
        store_partial(p, v, n);
}

/// v, kept in a register. GCC otherwise folds the load of a chunk into every fused multiply-add
/// that uses it (a chunk of inputs loaded once per output), and the loads, not the
/// multiply-adds, bound the products: a SympFlow epoch on one thread took 0.87-0.98 ms in float
/// and 1.77-1.81 ms in double, against 0.82-0.88 and 1.69-1.70 ms so (the same bits). Only with
/// AVX-512, where a chunk is one register.
template <class Vector>
Vector in_register(Vector v)
{
#if defined(__AVX512F__) && defined(__GNUC__)
    asm("" : "+v"(v));
#endif
    return v;
}

/// The sum of v's lanes. With AVX-512, halving the vector at every step (a shuffle and an add
/// each): the lane-by-lane loop GCC made of it, a move out of the vector and a dependent add per
/// lane, took a fiftieth of a SympFlow epoch in float.
template <class Scalar>
Scalar sum_lanes(Chunk<Scalar> v)
{
#ifdef __AVX512F__
    if constexpr (std::is_same_v<Scalar, double>)
        return _mm512_reduce_add_pd(reinterpret_cast<__m512d>(v));
    else
        return _mm512_reduce_add_ps(reinterpret_cast<__m512>(v));
#else
    Scalar s = 0;
    for (Index i = 0; i < chunk_lanes<Scalar>; ++i)
        s += v[i];
    return s;
#endif
}

} // namespace flowkit
