// An Mlp's forward pass in single precision, for inference where a relative error of about
// 1e-7 per evaluation is far below the error that matters (cnf-sample sample --precision
// single: a sample's distance to the data distribution). float doubles the SIMD width: the
// products of a CNF's 64-wide layers run 1.6 and tanh (ad::tanh_values) 3 times as fast as in
// nn::MlpKernel, and sampling takes 19 against 33 ms (2000 points, rk4, 20 steps, 2 cores). No
// derivatives: training and the log-density stay in double.
#pragma once

#include "core/eigen.hpp"
#include "nn/mlp_kernel.hpp"

#include <vector>

namespace flowkit::nn {

using MatF = Eigen::MatrixXf;

class SinglePrecisionMlp
{
public:
    /// The hidden layers' values, reused between calls (one per thread).
    struct Workspace
    {
        MatF in, z, a;
    };

    /// The kernel's weights, rounded to float.
    explicit SinglePrecisionMlp(const MlpKernel& kernel);

    /// out = N(X), n x output_dim (resized): X rounded to float, every layer in float, the
    /// output widened back to double.
    void forward(const Mat& X, Workspace& ws, Mat& out) const;

private:
    Mlp m_net;
    std::vector<MatF> m_Wt; // W_l transposed: inputs x outputs
    std::vector<Eigen::RowVectorXf> m_b;
};

/// A = act(Z), entry by entry, in float.
void activation_values(Activation act, const MatF& Z, MatF& A);

} // namespace flowkit::nn
