// An Mlp in single precision, where a relative error of about 1e-7 per evaluation is far below
// the error that matters: sampling a CNF (cnf-sample sample --precision single: a sample's
// distance to the data distribution) and flow-matching training (cnf-sample train --precision
// single: the minibatch noise of the gradient), and fitting a Neural ODE (node-fit --precision
// single: the solver's tolerance, 1e-7, and the minibatch noise). float doubles the SIMD width:
// the products of a CNF's 64-wide layers run 1.6 to 2 and tanh (ad::tanh_values) 3 times as
// fast as in nn::MlpKernel, of which this is the float instance: theta stays double, and a
// weight gradient is summed over the rows in float and added to the double gradient. (The
// log-density's divergence in float is nn::SinglePrecisionMlpDivergence.)
#pragma once

#include "nn/mlp_kernel.hpp"

#include <string>

namespace flowkit::nn {

/// The arithmetic of a network's evaluations.
enum class Precision
{
    double_precision,
    single_precision ///< nn::SinglePrecisionMlp
};
/// "double", "single"; UsageError naming --precision otherwise.
Precision parse_precision(const std::string& name);

using SinglePrecisionMlp = BasicMlpKernel<float>;

} // namespace flowkit::nn
