// The energy distance of Szekely and Rizzo between two samples: a two-sample statistic that is
// zero exactly when the distributions agree, used to score a flow's samples against data
// (e.g. `cnf-sample toy` against the toy set it was trained on).
#pragma once

#include "core/eigen.hpp"

namespace flowkit::analysis {

/// The energy distance between two samples (rows = points, same number of columns), the
/// V-statistic: 2 mean_{i,j} |x_i - y_j| - mean_{i,j} |x_i - x_j| - mean_{i,j} |y_i - y_j| over
/// all pairs (i = j included), Euclidean norm. Summed in a fixed order (deterministic): each
/// row's distances in double with four interleaved partial sums, the rows' sums in long
/// double; the within-sample terms visit each pair i < j once. O(n m + n^2 + m^2) time,
/// O(n + m) extra memory. std::invalid_argument if the column counts differ or a sample is
/// empty.
double energy_distance(const Mat& x, const Mat& y);

} // namespace flowkit::analysis
