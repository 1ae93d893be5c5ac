// The product of a stacked batch [top; bottom] (2m rows: a value branch over its tangent branch,
// as nn::HessianVectorKernel keeps them) by a small weight matrix, handing each result to an
// elementwise step while it is still in registers: the entries (r, j) of the top and of the
// bottom half arrive together, so a step that mixes the two branches (tanh and its derivative
// along the tangent, and their reverse) neither stores the product nor reads it back. The loops
// are those of nn::chunked_times (four outputs and four chunks of rows per pass), the chunks
// taken two from the top half and the two below them from the bottom half.
#pragma once

#include "core/chunk.hpp"
#include "nn/chunked_products.hpp"

#include <algorithm>

namespace flowkit::nn {

namespace paired_detail {

// Outputs [j0, j1) (a multiple of OUTS apart) on rows [0, wide) of each half.
template <Index OUTS, class Scalar, class Step>
void paired_wide(Index m, Index wide, Index in_cols, Index j0, Index j1,
                 BasicConstColumns<Scalar> in, BasicWeights<Scalar> w, const Scalar* bias_top,
                 Step& step)
{
    constexpr Index lanes = chunk_lanes<Scalar>;
    for (Index j = j0; j < j1; j += OUTS)
        for (Index r = 0; r < wide; r += 2 * lanes) {
            // acc[v][0, 1]: top rows r, r + lanes; acc[v][2, 3]: the bottom rows under them.
            Chunk<Scalar> acc[OUTS][4];
            for (Index v = 0; v < OUTS; ++v) {
                const Scalar bias = bias_top ? bias_top[j + v] : Scalar(0);
                acc[v][0] = acc[v][1] = Chunk<Scalar>{} + bias;
                acc[v][2] = acc[v][3] = Chunk<Scalar>{};
            }
            const Index offset[4] = {r, r + lanes, m + r, m + r + lanes};
            for (Index k = 0; k < in_cols; ++k) {
                Scalar wk[OUTS];
                for (Index v = 0; v < OUTS; ++v)
                    wk[v] = w.data[(j + v) * w.wj + k * w.wk];
                const Scalar* x = in.data + k * in.ld;
                for (Index u = 0; u < 4; ++u) {
                    const Chunk<Scalar> xu = in_register(load(x + offset[u]));
                    for (Index v = 0; v < OUTS; ++v)
                        acc[v][u] += xu * wk[v];
                }
            }
            for (Index v = 0; v < OUTS; ++v)
                for (Index u = 0; u < 2; ++u)
                    step(j + v, r + u * lanes, lanes, acc[v][u], acc[v][2 + u]);
        }
}

} // namespace paired_detail

/// For r < m, j < out_cols: top(r, j) = bias_top_j + sum_{k < in_cols} in(r, k) w(j, k) and
/// bottom(r, j) = sum_k in(m + r, k) w(j, k) (bias_top null for none), handed over as
/// step(j, r, n, top, bottom): the chunks of rows [r, r + n) of column j, n = chunk_lanes<Scalar>
/// but at the end of the rows (the lanes past n zero, the bias aside). step stores what it
/// keeps.
template <class Scalar, class Step>
void paired_times(Index m, Index in_cols, Index out_cols, BasicConstColumns<Scalar> in,
                  BasicWeights<Scalar> w, Step& step, const Scalar* bias_top = nullptr)
{
    using namespace paired_detail;
    constexpr Index lanes = chunk_lanes<Scalar>;
    const Index wide = m - m % (2 * lanes);
    const Index quad = out_cols - out_cols % 4, paired = out_cols - out_cols % 2;
    paired_wide<4>(m, wide, in_cols, 0, quad, in, w, bias_top, step);
    paired_wide<2>(m, wide, in_cols, quad, paired, in, w, bias_top, step);
    paired_wide<1>(m, wide, in_cols, paired, out_cols, in, w, bias_top, step);
    if (wide == m)
        return;
    // The rows past the wide part: one or two chunks of each half, the last partial.
    const Index n[2] = {std::min(m - wide, lanes), std::max(m - wide - lanes, Index(0))};
    for (Index j = 0; j < out_cols; ++j) {
        const Scalar bias = bias_top ? bias_top[j] : Scalar(0);
        Chunk<Scalar> acc[4];
        acc[0] = acc[1] = Chunk<Scalar>{} + bias;
        acc[2] = acc[3] = Chunk<Scalar>{};
        for (Index k = 0; k < in_cols; ++k) {
            const Scalar wjk = w.data[j * w.wj + k * w.wk];
            const Scalar* x = in.data + k * in.ld + wide;
            for (Index u = 0; u < 2; ++u)
                if (n[u] > 0) {
                    acc[u] += load_partial(x + u * lanes, n[u]) * wjk;
                    acc[2 + u] += load_partial(x + m + u * lanes, n[u]) * wjk;
                }
        }
        for (Index u = 0; u < 2; ++u)
            if (n[u] > 0)
                step(j, wide + u * lanes, n[u], acc[u], acc[2 + u]);
    }
}

} // namespace flowkit::nn
