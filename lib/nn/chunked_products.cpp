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

constexpr Index unroll = 4; // chunks of rows per pass of chunked_times

// Outputs [j0, j1) of chunked_times (j1 - j0 a multiple of OUTS), on rows [0, wide): OUTS
// outputs and four chunks of rows at once. One call for all of them: a call per pair of outputs
// made a SympFlow epoch 5 % slower (1.04 against 0.99 ms).
template <Index OUTS>
void times_wide(Index wide, Index in_cols, Index j0, Index j1, ConstColumns in, Weights w,
                const double* b, Columns out, bool accumulate)
{
    for (Index j = j0; j < j1; j += OUTS)
        for (Index r = 0; r < wide; r += unroll * chunk) {
            Chunk acc[OUTS][unroll];
            for (Index v = 0; v < OUTS; ++v)
                for (Index u = 0; u < unroll; ++u) {
                    const double bias = b ? b[j + v] : 0.0;
                    const double* o = out.data + (j + v) * out.ld + r + u * chunk;
                    acc[v][u] = accumulate ? load(o) + bias : Chunk{} + bias;
                }
            for (Index k = 0; k < in_cols; ++k) {
                double wk[OUTS];
                for (Index v = 0; v < OUTS; ++v)
                    wk[v] = w.data[(j + v) * w.wj + k * w.wk];
                const double* x = in.data + k * in.ld + r;
                for (Index u = 0; u < unroll; ++u) {
                    const Chunk xu = load(x + u * chunk);
                    for (Index v = 0; v < OUTS; ++v)
                        acc[v][u] += xu * wk[v];
                }
            }
            for (Index v = 0; v < OUTS; ++v)
                for (Index u = 0; u < unroll; ++u)
                    store(out.data + (j + v) * out.ld + r + u * chunk, acc[v][u]);
        }
}

} // namespace

void chunked_times(Index rows, Index in_cols, Index out_cols, ConstColumns in, Weights w,
                   const double* b, Columns out, bool accumulate)
{
    // Four outputs (the rest two, then one) and four chunks of rows at once: independent
    // chains of fused multiply-adds (one chain would wait on the latency of the last), and every
    // loaded chunk of the input feeds four of them, so the loads (inputs and broadcast weights)
    // no longer outnumber the multiply-adds. The SympFlow-shaped step (one thread, blocks of 64)
    // at width 10 takes 0.128 ms against 0.135 one output at a time; at width 32, 0.66 ms against
    // 0.69 two outputs at a time.
    const Index full = rows - rows % chunk, wide = rows - rows % (unroll * chunk);
    const Index quad = out_cols - out_cols % 4, paired = out_cols - out_cols % 2;
    times_wide<4>(wide, in_cols, 0, quad, in, w, b, out, accumulate);
    times_wide<2>(wide, in_cols, quad, paired, in, w, b, out, accumulate);
    times_wide<1>(wide, in_cols, paired, out_cols, in, w, b, out, accumulate);
    // the rows past the wide part
    for (Index j = 0; j < out_cols; ++j) {
        const double* wrow = w.data + j * w.wj;
        double* o = out.data + j * out.ld;
        const double bias = b ? b[j] : 0.0;
        for (Index r = wide; r < full; r += chunk) {
            Chunk acc = accumulate ? load(o + r) + bias : Chunk{} + bias;
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

namespace {

struct Term
{
    ConstColumns A, B;
};

constexpr Index pair = 2, block = 12;

// acc[u][k] = sum over the terms and the full chunks of rows of A(., j0 + u) * B(., k0 + k),
// lane by lane. KN, the number of B's columns, is a constant, so that the loops unroll and the
// accumulators stay in registers (with a run-time count GCC kept them on the stack, a load and
// a store around every fused multiply-add).
template <Index KN>
void accumulate(const Term* terms, Index n_terms, Index full, Index a_cols, Index j0, Index k0,
                Chunk (*acc)[block])
{
    Chunk s[pair][KN] = {};
    for (Index t = 0; t < n_terms; ++t) {
        const ConstColumns A = terms[t].A, B = terms[t].B;
        for (Index r = 0; r < full; r += chunk) {
            Chunk a[pair];
            for (Index u = 0; u < pair; ++u)
                a[u] = load(A.data + std::min(j0 + u, a_cols - 1) * A.ld + r);
            for (Index k = 0; k < KN; ++k) {
                const Chunk bk = load(B.data + (k0 + k) * B.ld + r);
                for (Index u = 0; u < pair; ++u)
                    s[u][k] += a[u] * bk;
            }
        }
    }
    for (Index u = 0; u < pair; ++u)
        for (Index k = 0; k < KN; ++k)
            acc[u][k] = s[u][k];
}

// G += sum over the terms of A^T B.
void add_transpose_times(Index rows, Index a_cols, Index b_cols, const Term* terms,
                         Index n_terms, double* G, Index ldg)
{
    // Two columns of A at a time, against up to 12 of B: 24 accumulators in registers, and
    // every loaded chunk of B feeds two fused multiply-adds. The terms share the accumulators,
    // so their sums are reduced once.
    using Accumulate = void (*)(const Term*, Index, Index, Index, Index, Index, Chunk(*)[block]);
    static constexpr Accumulate accumulate_kn[block + 1] = {
        nullptr,        accumulate<1>, accumulate<2>,  accumulate<3>,  accumulate<4>,
        accumulate<5>,  accumulate<6>, accumulate<7>,  accumulate<8>,  accumulate<9>,
        accumulate<10>, accumulate<11>, accumulate<12>};
    const Index full = rows - rows % chunk;
    for (Index j0 = 0; j0 < a_cols; j0 += pair) {
        const Index jn = std::min(pair, a_cols - j0);
        for (Index k0 = 0; k0 < b_cols; k0 += block) {
            const Index kn = std::min(block, b_cols - k0);
            Chunk acc[pair][block];
            accumulate_kn[kn](terms, n_terms, full, a_cols, j0, k0, acc);
            for (Index u = 0; u < jn; ++u)
                for (Index k = 0; k < kn; ++k) {
                    double s = 0;
                    for (Index i = 0; i < chunk; ++i)
                        s += acc[u][k][i];
                    G[(j0 + u) * ldg + k0 + k] += s;
                }
            // the rows past the last full chunk
            for (Index t = 0; t < n_terms && full < rows; ++t) {
                const ConstColumns A = terms[t].A, B = terms[t].B;
                for (Index u = 0; u < jn; ++u)
                    for (Index k = 0; k < kn; ++k) {
                        double s = 0;
                        for (Index r = full; r < rows; ++r)
                            s += A.data[(j0 + u) * A.ld + r] * B.data[(k0 + k) * B.ld + r];
                        G[(j0 + u) * ldg + k0 + k] += s;
                    }
            }
        }
    }
}

} // namespace

void chunked_add_transpose_times(Index rows, Index a_cols, Index b_cols, ConstColumns A,
                                 ConstColumns B, double* G, Index ldg)
{
    const Term terms[] = {{A, B}};
    add_transpose_times(rows, a_cols, b_cols, terms, 1, G, ldg);
}

void chunked_add_transpose_times(Index rows, Index a_cols, Index b_cols, ConstColumns A1,
                                 ConstColumns B1, ConstColumns A2, ConstColumns B2, double* G,
                                 Index ldg)
{
    const Term terms[] = {{A1, B1}, {A2, B2}};
    add_transpose_times(rows, a_cols, b_cols, terms, 2, G, ldg);
}

} // namespace flowkit::nn
