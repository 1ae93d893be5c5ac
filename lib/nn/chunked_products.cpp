#include "nn/chunked_products.hpp"

#include "core/chunk.hpp"

#include <algorithm>

namespace flowkit::nn {

namespace {

constexpr Index unroll = 4; // chunks of rows per pass of chunked_times

// (1 - a^2) x: tanh's derivative from its value a, applied to x.
template <class Scalar>
Chunk<Scalar> tanh_derivative_times(Chunk<Scalar> a, Chunk<Scalar> x)
{
    return x * (Scalar(1) - a * a);
}

// Outputs [j0, j1) of chunked_times (j1 - j0 a multiple of OUTS), on rows [0, wide): OUTS
// outputs and four chunks of rows at once. One call for all of them: a call per pair of outputs
// made a SympFlow epoch 5 % slower (1.04 against 0.99 ms).
template <Index OUTS, class Scalar>
void times_wide(Index wide, Index in_cols, Index j0, Index j1, BasicConstColumns<Scalar> in,
                BasicWeights<Scalar> w, const Scalar* b, BasicColumns<Scalar> out,
                bool accumulate, BasicConstColumns<Scalar> tanh_gate)
{
    constexpr Index lanes = chunk_lanes<Scalar>;
    for (Index j = j0; j < j1; j += OUTS)
        for (Index r = 0; r < wide; r += unroll * lanes) {
            Chunk<Scalar> acc[OUTS][unroll];
            for (Index v = 0; v < OUTS; ++v)
                for (Index u = 0; u < unroll; ++u) {
                    const Scalar bias = b ? b[j + v] : Scalar(0);
                    const Scalar* o = out.data + (j + v) * out.ld + r + u * lanes;
                    acc[v][u] = accumulate ? load(o) + bias : Chunk<Scalar>{} + bias;
                }
            for (Index k = 0; k < in_cols; ++k) {
                Scalar wk[OUTS];
                for (Index v = 0; v < OUTS; ++v)
                    wk[v] = w.data[(j + v) * w.wj + k * w.wk];
                const Scalar* x = in.data + k * in.ld + r;
                for (Index u = 0; u < unroll; ++u) {
                    const Chunk<Scalar> xu = in_register(load(x + u * lanes));
                    for (Index v = 0; v < OUTS; ++v)
                        acc[v][u] += xu * wk[v];
                }
            }
            if (tanh_gate.data)
                for (Index v = 0; v < OUTS; ++v)
                    for (Index u = 0; u < unroll; ++u)
                        acc[v][u] = tanh_derivative_times<Scalar>(
                            load(tanh_gate.data + (j + v) * tanh_gate.ld + r + u * lanes),
                            acc[v][u]);
            for (Index v = 0; v < OUTS; ++v)
                for (Index u = 0; u < unroll; ++u)
                    store(out.data + (j + v) * out.ld + r + u * lanes, acc[v][u]);
        }
}

template <class Scalar>
void times(Index rows, Index in_cols, Index out_cols, BasicConstColumns<Scalar> in,
           BasicWeights<Scalar> w, const Scalar* b, BasicColumns<Scalar> out, bool accumulate,
           BasicConstColumns<Scalar> tanh_gate)
{
    constexpr Index lanes = chunk_lanes<Scalar>;
    // Four outputs (the rest two, then one) and four chunks of rows at once: independent
    // chains of fused multiply-adds (one chain would wait on the latency of the last), and every
    // loaded chunk of the input feeds four of them, so the loads (inputs and broadcast weights)
    // no longer outnumber the multiply-adds. The SympFlow-shaped step (one thread, blocks of 64)
    // at width 10 takes 0.128 ms against 0.135 one output at a time; at width 32, 0.66 ms against
    // 0.69 two outputs at a time.
    const Index wide = rows - rows % (unroll * lanes);
    const Index quad = out_cols - out_cols % 4, paired = out_cols - out_cols % 2;
    times_wide<4>(wide, in_cols, 0, quad, in, w, b, out, accumulate, tanh_gate);
    times_wide<2>(wide, in_cols, quad, paired, in, w, b, out, accumulate, tanh_gate);
    times_wide<1>(wide, in_cols, paired, out_cols, in, w, b, out, accumulate, tanh_gate);
    // The rows past the wide part, fewer than unroll chunks (the last one partial): every output
    // takes them as independent chains of multiply-adds (one chain per chunk, the empty ones
    // zero), as the wide part does; a chunk at a time, a 32-unit output layer waited on the
    // latency of 32 dependent multiply-adds.
    if (wide == rows)
        return;
    Index n[unroll];
    for (Index u = 0; u < unroll; ++u)
        n[u] = std::clamp(rows - wide - u * lanes, Index(0), lanes);
    for (Index j = 0; j < out_cols; ++j) {
        const Scalar* wrow = w.data + j * w.wj;
        Scalar* o = out.data + j * out.ld + wide;
        const Scalar bias = b ? b[j] : Scalar(0);
        Chunk<Scalar> acc[unroll];
        for (Index u = 0; u < unroll; ++u)
            acc[u] = (accumulate ? load_partial(o + u * lanes, n[u]) : Chunk<Scalar>{}) + bias;
        for (Index k = 0; k < in_cols; ++k) {
            const Scalar* x = in.data + k * in.ld + wide;
            for (Index u = 0; u < unroll; ++u)
                acc[u] += load_partial(x + u * lanes, n[u]) * wrow[k * w.wk];
        }
        if (tanh_gate.data)
            for (Index u = 0; u < unroll; ++u)
                acc[u] = tanh_derivative_times<Scalar>(
                    load_partial(tanh_gate.data + j * tanh_gate.ld + wide + u * lanes, n[u]),
                    acc[u]);
        for (Index u = 0; u < unroll; ++u)
            store_partial(o + u * lanes, acc[u], n[u]);
    }
}

template <class Scalar>
struct Term
{
    BasicConstColumns<Scalar> A, B;
};

constexpr Index pair = 2, block = 12;

// acc[u][k] = sum over the terms and the rows of A(., j0 + u) * B(., k0 + k), lane by lane
// (the last chunk zero-padded). KN, the number of B's columns, is a constant, so that the loops
// unroll and the accumulators stay in registers (with a run-time count GCC kept them on the
// stack, a load and a store around every fused multiply-add).
template <Index KN, class Scalar>
void accumulate(const Term<Scalar>* terms, Index n_terms, Index rows, Index a_cols, Index j0,
                Index k0, Chunk<Scalar> (*acc)[block])
{
    constexpr Index lanes = chunk_lanes<Scalar>;
    const Index full = rows - rows % lanes;
    Chunk<Scalar> s[pair][KN] = {};
    const auto add = [&](const Scalar* A, Index lda, const Scalar* B, Index ldb, Index r,
                         auto get) {
        Chunk<Scalar> a[pair];
        for (Index u = 0; u < pair; ++u)
            a[u] = in_register(get(A + std::min(j0 + u, a_cols - 1) * lda + r));
        for (Index k = 0; k < KN; ++k) {
            const Chunk<Scalar> bk = in_register(get(B + (k0 + k) * ldb + r));
            for (Index u = 0; u < pair; ++u)
                s[u][k] += a[u] * bk;
        }
    };
    for (Index t = 0; t < n_terms; ++t) {
        const BasicConstColumns<Scalar> A = terms[t].A, B = terms[t].B;
        for (Index r = 0; r < full; r += lanes)
            add(A.data, A.ld, B.data, B.ld, r, [](const Scalar* p) { return load(p); });
        if (full < rows)
            add(A.data, A.ld, B.data, B.ld, full,
                [n = rows - full](const Scalar* p) { return load_partial(p, n); });
    }
    for (Index u = 0; u < pair; ++u)
        for (Index k = 0; k < KN; ++k)
            acc[u][k] = s[u][k];
}

// G += sum over the terms of A^T B.
template <class Scalar>
void add_transpose_times(Index rows, Index a_cols, Index b_cols, const Term<Scalar>* terms,
                         Index n_terms, double* G, Index ldg)
{
    // Two columns of A at a time, against up to 12 of B: 24 accumulators in registers, and
    // every loaded chunk of B feeds two fused multiply-adds. The terms share the accumulators,
    // so their sums are reduced once.
    using Accumulate = void (*)(const Term<Scalar>*, Index, Index, Index, Index, Index,
                                Chunk<Scalar>(*)[block]);
    static constexpr Accumulate accumulate_kn[block + 1] = {
        nullptr,
        accumulate<1, Scalar>,
        accumulate<2, Scalar>,
        accumulate<3, Scalar>,
        accumulate<4, Scalar>,
        accumulate<5, Scalar>,
        accumulate<6, Scalar>,
        accumulate<7, Scalar>,
        accumulate<8, Scalar>,
        accumulate<9, Scalar>,
        accumulate<10, Scalar>,
        accumulate<11, Scalar>,
        accumulate<12, Scalar>};
    for (Index j0 = 0; j0 < a_cols; j0 += pair) {
        const Index jn = std::min(pair, a_cols - j0);
        for (Index k0 = 0; k0 < b_cols; k0 += block) {
            const Index kn = std::min(block, b_cols - k0);
            Chunk<Scalar> acc[pair][block];
            accumulate_kn[kn](terms, n_terms, rows, a_cols, j0, k0, acc);
            for (Index u = 0; u < jn; ++u)
                for (Index k = 0; k < kn; ++k)
                    G[(j0 + u) * ldg + k0 + k] += sum_lanes<Scalar>(acc[u][k]);
        }
    }
}

} // namespace

void chunked_times(Index rows, Index in_cols, Index out_cols, ConstColumns in, Weights w,
                   const double* b, Columns out, bool accumulate, ConstColumns tanh_gate)
{
    times(rows, in_cols, out_cols, in, w, b, out, accumulate, tanh_gate);
}

void chunked_times(Index rows, Index in_cols, Index out_cols, ConstColumnsF in, WeightsF w,
                   const float* b, ColumnsF out, bool accumulate, ConstColumnsF tanh_gate)
{
    times(rows, in_cols, out_cols, in, w, b, out, accumulate, tanh_gate);
}

void chunked_add_transpose_times(Index rows, Index a_cols, Index b_cols, ConstColumns A,
                                 ConstColumns B, double* G, Index ldg)
{
    const Term<double> terms[] = {{A, B}};
    add_transpose_times(rows, a_cols, b_cols, terms, 1, G, ldg);
}

void chunked_add_transpose_times(Index rows, Index a_cols, Index b_cols, ConstColumnsF A,
                                 ConstColumnsF B, double* G, Index ldg)
{
    const Term<float> terms[] = {{A, B}};
    add_transpose_times(rows, a_cols, b_cols, terms, 1, G, ldg);
}

void chunked_add_transpose_times(Index rows, Index a_cols, Index b_cols, ConstColumns A1,
                                 ConstColumns B1, ConstColumns A2, ConstColumns B2, double* G,
                                 Index ldg)
{
    const Term<double> terms[] = {{A1, B1}, {A2, B2}};
    add_transpose_times(rows, a_cols, b_cols, terms, 2, G, ldg);
}

void chunked_add_transpose_times(Index rows, Index a_cols, Index b_cols, ConstColumnsF A1,
                                 ConstColumnsF B1, ConstColumnsF A2, ConstColumnsF B2, double* G,
                                 Index ldg)
{
    const Term<float> terms[] = {{A1, B1}, {A2, B2}};
    add_transpose_times(rows, a_cols, b_cols, terms, 2, G, ldg);
}

} // namespace flowkit::nn
