// An Mlp in single precision, where a relative error of about 1e-7 per evaluation is far below
// the error that matters: sampling a CNF (cnf-sample sample --precision single: a sample's
// distance to the data distribution) and flow-matching training (cnf-sample train --precision
// single: the minibatch noise of the gradient). float doubles the SIMD width: the products of a
// CNF's 64-wide layers run 1.6 to 2 and tanh (ad::tanh_values) 3 times as fast as in
// nn::MlpKernel. The forward pass keeps each layer's activation derivative for the parameter
// gradient; no input derivatives (the log-density stays in double).
#pragma once

#include "core/eigen.hpp"
#include "nn/mlp_kernel.hpp"

#include <string>
#include <vector>

namespace flowkit::nn {

/// The arithmetic of a network's evaluations.
enum class Precision
{
    double_precision,
    single_precision ///< nn::SinglePrecisionMlp
};
/// "double", "single"; UsageError naming --precision otherwise.
Precision parse_precision(const std::string& name);

class SinglePrecisionMlp
{
public:
    /// The hidden layers' values (and, for the gradient, their activations and derivatives),
    /// reused between calls (one per thread).
    struct Workspace
    {
        MatF in, z, a;
        std::vector<MatF> A, D;
        MatF delta, next, grad_W;
        const MatF* X = nullptr; // the input of the last forward for the gradient
    };

    /// The kernel's weights, rounded to float.
    explicit SinglePrecisionMlp(const MlpKernel& kernel);
    /// The weights theta (the Mlp's layout), rounded to float.
    SinglePrecisionMlp(const Mlp& net, const Vec& theta);

    void set_params(const Vec& theta);

    /// out = N(X), n x output_dim (resized): X rounded to float, every layer in float, the
    /// output widened back to double.
    void forward(const Mat& X, Workspace& ws, Mat& out) const;
    /// out = N(X) in float, keeping what add_param_gradient() needs; X must stay alive until
    /// then.
    void forward_for_gradient(const MatF& X, Workspace& ws, MatF& out) const;
    /// After forward_for_gradient(X): grad += sum_i (dN/dtheta)(X_i)^T abar_i in the Mlp's
    /// layout, the sum over the rows in float.
    void add_param_gradient(const MatF& abar, Workspace& ws, Eigen::Ref<Vec> grad) const;

private:
    Mlp m_net;
    std::vector<MatF> m_Wt; // W_l transposed: inputs x outputs
    std::vector<Eigen::RowVectorXf> m_b;
};

} // namespace flowkit::nn
