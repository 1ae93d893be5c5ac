// tanh and the logistic sigmoid of every entry of a matrix, vectorised. Eigen 3.4 has no
// vectorised tanh for doubles (DESIGN.md "Numbers"); every MLP kernel and tape node takes its
// tanh from here, so this loop is the most executed code of the training tools.
#pragma once

#include "core/eigen.hpp"

namespace flowkit::ad {

/// tanh of every entry, within a few ulps (relative) for every x, tiny ones included; +-inf
/// give +-1, NaN stays NaN. t is resized.
void tanh_values(const Mat& x, Mat& t);
/// The same for n contiguous entries: t[i] = tanh(x[i]).
void tanh_values(Index n, const double* x, double* t);
/// The same in single precision, within a few float ulps (nn::SinglePrecisionMlp: Eigen's
/// vectorised float tanh is off with EIGEN_FAST_MATH=0, and libm's takes 10 times as long).
void tanh_values(Index n, const float* x, float* t);
/// x[i] = tanh(x[i]) for n contiguous entries, the same values.
void tanh_in_place(Index n, double* x);
void tanh_in_place(Index n, float* x);

/// Logistic sigmoid 1/(1 + exp(-x)) of every entry (exp overflow gives 0, not NaN). s is resized.
void sigmoid_values(const Mat& x, Mat& s);

} // namespace flowkit::ad
