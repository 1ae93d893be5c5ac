// Eigen aliases used everywhere: a batch of states is a Mat with one row per trajectory.
#pragma once

#include <Eigen/Dense>

namespace flowkit {

using Mat = Eigen::MatrixXd;
using Vec = Eigen::VectorXd;
/// Single precision, for the network evaluations where float's 1e-7 is enough
/// (nn::SinglePrecisionMlp).
using MatF = Eigen::MatrixXf;
using VecF = Eigen::VectorXf;
using Index = Eigen::Index;
/// Row by row: a network's weights in its parameter vector, a table's values as read.
using RowMajorMat = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// Whether every entry of M is finite: the sum of M .* 0 is 0, or NaN where an entry is Inf or
/// NaN. Eigen's allFinite() compares entry by entry in a scalar loop: in a solver's every stage
/// it took a twentieth of a node-fit adjoint iteration; this sum is vectorised.
template <class Derived>
bool all_finite(const Eigen::DenseBase<Derived>& M)
{
    return (M.derived().array() * typename Derived::Scalar(0)).sum() == 0;
}

/// Per row of M, 0 where the row is finite and NaN where it is not (the sums of M .* 0 along
/// the rows, vectorised over a column-major matrix's rows).
template <class Derived>
Eigen::Array<typename Derived::Scalar, Eigen::Dynamic, 1> row_finiteness(
    const Eigen::DenseBase<Derived>& M)
{
    return (M.derived().array() * typename Derived::Scalar(0)).rowwise().sum();
}

} // namespace flowkit
