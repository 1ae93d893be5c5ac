// Matrix products with a side of a few units, on column-major blocks of rows (samples), eight
// rows (sixteen in float) at a time in one vector register per column: the layer products of
// the closed-form network passes (the SympFlow residual's 10-unit potentials, the 2- or 3-unit
// sides of Neural ODE and CNF fields). Eigen's general product packs its operands and zeroes
// the result first; for a 256 x 10 x 10 product that costs about twice the work itself (1.2 us
// against 0.65 us measured). Its cache blocking wins once both sides are wider
// (nn::narrow_products says where).
//
// Matrices are raw column-major blocks: a pointer and the distance between columns (ld), so
// that a block of rows (topRows of a stacked batch) needs no copy. A weight matrix is read as
// w(j, k) = W[j * wj + k * wk]: a row-major O x I block of theta is (wj, wk) = (I, 1), and the
// same block read transposed is (1, I).
#pragma once

#include "core/eigen.hpp"

namespace flowkit::nn {

/// A column-major block: element (r, c) at data[r + c * ld].
template <class Scalar>
struct BasicConstColumns
{
    const Scalar* data;
    Index ld;
};
template <class Scalar>
struct BasicColumns
{
    Scalar* data;
    Index ld;
    operator BasicConstColumns<Scalar>() const { return {data, ld}; }
};
/// Weights read as w(j, k) = data[j * wj + k * wk].
template <class Scalar>
struct BasicWeights
{
    const Scalar* data;
    Index wj, wk;
};
using ConstColumns = BasicConstColumns<double>;
using Columns = BasicColumns<double>;
using Weights = BasicWeights<double>;
using ConstColumnsF = BasicConstColumns<float>;
using ColumnsF = BasicColumns<float>;
using WeightsF = BasicWeights<float>;

/// out(r, j) = b_j + sum_{k < in_cols} in(r, k) w(j, k) for r < rows, j < out_cols; b null
/// for none; with accumulate, added to out instead. With tanh_gate (data not null), the result
/// is multiplied by 1 - tanh_gate(r, j)^2, tanh's derivative from its values, in the same pass
/// (a backward step through a tanh layer).
void chunked_times(Index rows, Index in_cols, Index out_cols, ConstColumns in, Weights w,
                   const double* b, Columns out, bool accumulate = false,
                   ConstColumns tanh_gate = {nullptr, 0});
/// The same in float, sixteen rows at a time (nn::SinglePrecisionMlp).
void chunked_times(Index rows, Index in_cols, Index out_cols, ConstColumnsF in, WeightsF w,
                   const float* b, ColumnsF out, bool accumulate = false,
                   ConstColumnsF tanh_gate = {nullptr, 0});

/// G(j, k) += sum_{r < rows} A(r, j) B(r, k) for j < a_cols, k < b_cols; G row-major with
/// leading dimension ldg (a block of theta's gradient).
void chunked_add_transpose_times(Index rows, Index a_cols, Index b_cols, ConstColumns A,
                                 ConstColumns B, double* G, Index ldg);
/// The same with A and B in float, the sum over the rows in float and added to the double G.
void chunked_add_transpose_times(Index rows, Index a_cols, Index b_cols, ConstColumnsF A,
                                 ConstColumnsF B, double* G, Index ldg);
/// G += A1^T B1 + A2^T B2 (the same shapes): one pass over G for a weight that gets its gradient
/// from two products, with half the reductions of two calls.
void chunked_add_transpose_times(Index rows, Index a_cols, Index b_cols, ConstColumns A1,
                                 ConstColumns B1, ConstColumns A2, ConstColumns B2, double* G,
                                 Index ldg);
void chunked_add_transpose_times(Index rows, Index a_cols, Index b_cols, ConstColumnsF A1,
                                 ConstColumnsF B1, ConstColumnsF A2, ConstColumnsF B2, double* G,
                                 Index ldg);

} // namespace flowkit::nn
