// Eigen aliases used everywhere: a batch of states is a Mat with one row per trajectory.
#pragma once

#include <Eigen/Dense>

namespace flowkit {

using Mat = Eigen::MatrixXd;
using Vec = Eigen::VectorXd;
using Index = Eigen::Index;

} // namespace flowkit
