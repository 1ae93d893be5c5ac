#include "nn/chunked_products.hpp"

#include <algorithm>
#include <cstring>

namespace flowkit::nn {

// The helpers below pass a Chunk by value (measured 5 % faster than by reference); without
// AVX-512 (FLOWKIT_NATIVE=OFF) GCC warns that its calling convention differs from that of
// AVX-512 builds. They are local to this file, so no call ever crosses that boundary.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wpsabi"
#endif

namespace {

// Eight doubles: one AVX-512 register, two AVX ones (GCC's vector extension splits it).
typedef double Chunk __attribute__((vector_size(8 * sizeof(double))));
constexpr Index chunk = 8;

Chunk load(const double* p)
{
    Chunk v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

void store(double* p, Chunk v) { std::memcpy(p, &v, sizeof v); }

} // namespace

void chunked_times(Index rows, Index in_cols, Index out_cols, ConstColumns in, Weights w,
                   const double* b, Columns out, bool accumulate)
{
    // Four chunks of rows at once: four independent chains of fused multiply-adds share each
    // broadcast weight (one chain would wait on the latency of the last). Blocking two outputs
    // as well was slower (measured).
    constexpr Index unroll = 4;
    const Index full = rows - rows % chunk, wide = rows - rows % (unroll * chunk);
    for (Index j = 0; j < out_cols; ++j) {
        const double* wrow = w.data + j * w.wj;
        double* o = out.data + j * out.ld;
        const double bias = b ? b[j] : 0.0;
        auto first = [&](Index r) { return accumulate ? load(o + r) + bias : Chunk{} + bias; };
        for (Index r = 0; r < wide; r += unroll * chunk) {
            Chunk acc[unroll];
            for (Index u = 0; u < unroll; ++u)
                acc[u] = first(r + u * chunk);
            for (Index k = 0; k < in_cols; ++k) {
                const double wk = wrow[k * w.wk];
                const double* x = in.data + k * in.ld + r;
                for (Index u = 0; u < unroll; ++u)
                    acc[u] += load(x + u * chunk) * wk;
            }
            for (Index u = 0; u < unroll; ++u)
                store(o + r + u * chunk, acc[u]);
        }
        for (Index r = wide; r < full; r += chunk) {
            Chunk acc = first(r);
            for (Index k = 0; k < in_cols; ++k)
                acc += load(in.data + k * in.ld + r) * wrow[k * w.wk];
            store(o + r, acc);
        }
        for (Index r = full; r < rows; ++r) {
            double acc = (accumulate ? o[r] : 0.0) + bias;
            for (Index k = 0; k < in_cols; ++k)
                acc += in.data[k * in.ld + r] * wrow[k * w.wk];
            o[r] = acc;
        }
    }
}

void chunked_add_transpose_times(Index rows, Index a_cols, Index b_cols, ConstColumns A,
                                 ConstColumns B, double* G, Index ldg)
{
    // Two columns of A at a time, against up to 12 of B: 24 accumulators in registers, and
    // every loaded chunk of B feeds two fused multiply-adds.
    constexpr Index pair = 2, block = 12;
    const Index full = rows - rows % chunk;
    for (Index j0 = 0; j0 < a_cols; j0 += pair) {
        const Index jn = std::min(pair, a_cols - j0);
        for (Index k0 = 0; k0 < b_cols; k0 += block) {
            const Index kn = std::min(block, b_cols - k0);
            Chunk acc[pair][block] = {};
            for (Index r = 0; r < full; r += chunk) {
                Chunk a[pair];
                for (Index u = 0; u < pair; ++u)
                    a[u] = load(A.data + std::min(j0 + u, a_cols - 1) * A.ld + r);
                for (Index k = 0; k < kn; ++k) {
                    const Chunk bk = load(B.data + (k0 + k) * B.ld + r);
                    for (Index u = 0; u < pair; ++u)
                        acc[u][k] += a[u] * bk;
                }
            }
            for (Index u = 0; u < jn; ++u) {
                const double* a = A.data + (j0 + u) * A.ld;
                for (Index k = 0; k < kn; ++k) {
                    double s = 0;
                    for (Index i = 0; i < chunk; ++i)
                        s += acc[u][k][i];
                    for (Index r = full; r < rows; ++r)
                        s += a[r] * B.data[(k0 + k) * B.ld + r];
                    G[(j0 + u) * ldg + k0 + k] += s;
                }
            }
        }
    }
}

} // namespace flowkit::nn
