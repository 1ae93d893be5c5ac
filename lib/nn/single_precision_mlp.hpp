// An Mlp in single precision, where a relative error of about 1e-7 per evaluation is far below
// the error that matters: sampling a CNF (cnf-sample sample --precision single: a sample's
// distance to the data distribution) and flow-matching training (cnf-sample train --precision
// single: the minibatch noise of the gradient), and fitting a Neural ODE (node-fit --precision
// single: the solver's tolerance, 1e-7, and the minibatch noise). float doubles the SIMD width:
// the products of a CNF's 64-wide layers run 1.6 to 2 and tanh (ad::tanh_values) 3 times as
// fast as in nn::MlpKernel. The forward pass for a gradient keeps each layer's activation
// derivative; the reverse pass gives the input and the weight gradients (no tangents: the
// log-density's divergence is nn::SinglePrecisionMlpDivergence).
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
        MatF in, z, out;
        std::vector<MatF> A, D;
        std::vector<MatF> deltas, weighted; // backward(): per layer
        MatF next;
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
    /// out = N(X) in float, keeping what backward() needs; X must stay alive until
    /// then.
    void forward_for_gradient(const MatF& X, Workspace& ws, MatF& out) const;
    /// After forward_for_gradient(X), as MlpKernel::backward: xbar = (dN/dX)^T abar row by row
    /// (skipped when xbar is null) and grad += sum_i w_i (dN/dtheta)(X_i)^T abar_i in the Mlp's
    /// layout (every w_i = 1 when w is null; none when grad is empty), the sum over the rows in
    /// float.
    void backward(const MatF& abar, const VecF* w, Workspace& ws, MatF* xbar,
                  Eigen::Ref<Vec> grad) const;

private:
    Mlp m_net;
    std::vector<MatF> m_W; // outputs x inputs
    std::vector<Eigen::RowVectorXf> m_b;
};

} // namespace flowkit::nn
