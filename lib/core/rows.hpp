// Copying a subset of a batch's rows (the trajectories a solver step still moves) out of and
// back into a column-major matrix, a column at a time: one tight loop per column instead of a
// short strided copy per row (a row of a node-fit block is two or four entries, and Eigen's
// row-by-row assignments of the moving rows were a tenth of a solver step).
#pragma once

#include "core/eigen.hpp"

#include <vector>

namespace flowkit {

/// to = from's rows `rows`, in that order (to resized to rows.size() x from.cols()); Mat or Vec.
template <class Matrix>
void gather_rows(const Matrix& from, const std::vector<Index>& rows, Matrix& to)
{
    const Index m = Index(rows.size());
    to.resize(m, from.cols());
    for (Index c = 0; c < from.cols(); ++c) {
        const double* f = from.col(c).data();
        double* t = to.col(c).data();
        for (Index k = 0; k < m; ++k)
            t[k] = f[rows[std::size_t(k)]];
    }
}

/// to's rows `rows` = from's rows 0, 1, ... (from has rows.size() rows; to keeps its others).
template <class Matrix>
void scatter_rows(const Matrix& from, const std::vector<Index>& rows, Matrix& to)
{
    const Index m = Index(rows.size());
    for (Index c = 0; c < from.cols(); ++c) {
        const double* f = from.col(c).data();
        double* t = to.col(c).data();
        for (Index k = 0; k < m; ++k)
            t[rows[std::size_t(k)]] = f[k];
    }
}

/// rows = the rows of M with an entry that is not zero (NaN is not zero), in order; their
/// count. A row's sum of absolute values is zero exactly when the row is, and Eigen sums a
/// column-major matrix's rows column by column, vectorised: the test entry by entry, row by
/// row, took a third of ForwardSolve::backward (single-precision node-fit backprop). abs_sums is
/// scratch.
template <class Matrix>
Index nonzero_rows(const Matrix& M, Vec& abs_sums, std::vector<Index>& rows)
{
    const Index n = M.rows();
    abs_sums = M.cwiseAbs().rowwise().sum();
    rows.resize(std::size_t(n));
    std::size_t count = 0;
    for (Index r = 0; r < n; ++r) { // without a branch: whether a row is zero is random
        rows[count] = r;
        count += abs_sums(r) != 0;
    }
    rows.resize(count);
    return Index(count);
}

} // namespace flowkit
