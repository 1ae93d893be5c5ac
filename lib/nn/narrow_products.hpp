// The four matrix products of a closed-form MLP pass (nn::MlpKernel, nn::MlpDivergence,
// nn::HessianVectorKernel), fast also when one side is a few units wide. Eigen's product packs
// its operands and zeroes the result first: for a layer with a side of a few units (the
// 2 -> 32 -> 2 vector field of a Neural ODE, the (x, t) input of a CNF) that is most of the
// work, so such products (up to 32 units a side, 12 for a weight gradient; up to 64 on blocks of
// at most 256 rows) run eight rows at a time (sixteen in float) through nn::chunked_products.
#pragma once

#include "core/eigen.hpp"

namespace flowkit::nn {

/// out = in W^T + b (W: outputs x inputs; out resized).
void affine(const Mat& in, const Mat& W, const Eigen::RowVectorXd& b, Mat& out);
/// out = in W_^T (out resized), W_ the first in.cols() columns of W.
void times_transpose(const Mat& in, const Mat& W, Mat& out);
/// out = delta W (delta: rows x outputs; out resized).
void back_through(const Mat& delta, const Mat& W, Mat& out);
/// out = (delta W) .* (1 - A.^2): back through W and a tanh layer whose values are A, in one
/// pass where the product is narrow.
void back_through_tanh(const Mat& delta, const Mat& W, const Mat& A, Mat& out);
/// G += delta^T in (G: outputs x inputs, a row-major block of theta).
void add_outer(const Mat& delta, const Mat& in, Eigen::Ref<RowMajorMat> G);
/// G += delta1^T in1 + delta2^T in2 (the same shapes): a weight with two gradient terms.
void add_outer(const Mat& delta1, const Mat& in1, const Mat& delta2, const Mat& in2,
               Eigen::Ref<RowMajorMat> G);

/// The same products in float (nn::SinglePrecisionMlp, nn::SinglePrecisionMlpDivergence); a
/// weight gradient is summed in float and added to the double G.
void affine(const MatF& in, const MatF& W, const Eigen::RowVectorXf& b, MatF& out);
void times_transpose(const MatF& in, const MatF& W, MatF& out);
void back_through(const MatF& delta, const MatF& W, MatF& out);
void back_through_tanh(const MatF& delta, const MatF& W, const MatF& A, MatF& out);
void add_outer(const MatF& delta, const MatF& in, Eigen::Ref<RowMajorMat> G);
void add_outer(const MatF& delta1, const MatF& in1, const MatF& delta2, const MatF& in2,
               Eigen::Ref<RowMajorMat> G);

} // namespace flowkit::nn
