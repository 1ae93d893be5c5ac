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

} // namespace flowkit
