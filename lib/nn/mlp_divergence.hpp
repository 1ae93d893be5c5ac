// The divergence of an MLP vector field, its weight and input gradients and its tangent, in
// closed form: the right-hand side of the log-density ODE of a continuous normalising flow
// (lecture notes "Derivations of the ODE for the log probability", "Hutchinson Trace
// Estimation"). The network N maps u = [x, s] (d inputs x, then others such as time s) to d
// outputs; its divergence in x is
//     div = sum_k p_k^T (dN/dx) p_k
// over probes p_k: the d unit vectors (the exact trace, d tangent passes) or one random vector
// per row (Hutchinson's estimator, unbiased when E[p p^T] = I). Each tangent pass runs
// T_l = act'(Z_l) .* S_l, S_{l+1} = T_l W_{l+1}^T from S_1 = p W_1x^T; its reverse needs
// act'' because the weight gradient of a divergence is a second derivative of the network.
// Checked against finite differences (the float version also against the double one) in
// tests/unit/test_models_cnf.cpp.
#pragma once

#include "core/eigen.hpp"
#include "nn/mlp_kernel.hpp"

#include <vector>

namespace flowkit::nn {

/// In double (MlpDivergence) or in float (SinglePrecisionMlpDivergence: the weights rounded to
/// float, the parameter gradient summed in float per product and added to the double gradient).
template <class Scalar>
class BasicMlpDivergence
{
public:
    using MatS = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;
    using VecS = Eigen::Matrix<Scalar, Eigen::Dynamic, 1>;

    /// What forward() leaves for backward() and tangent(); one per thread, reused.
    struct Workspace
    {
        std::vector<MatS> Z, A, D, D2;       // hidden layer l: Z_l, act, act', act''
        std::vector<MatS> V;                 // probe k (n x d)
        std::vector<std::vector<MatS>> S, T; // probe k, hidden layer l
        std::vector<MatS> Dbar;              // hidden layer l
        MatS delta, next, weighted, outer;
        const MatS* U = nullptr;
    };

    /// The network must have input_dim() >= output_dim() = d; it is kept by reference.
    explicit BasicMlpDivergence(const MlpKernel& kernel);
    /// After kernel.set_params(): in float, round the new weights (double reads the kernel's).
    void read_weights();

    Index dim() const { return m_d; }
    /// out = N(U) (n x d) and div (n) from the probes: the unit vectors when probes is null,
    /// else the rows of *probes (n x d, one probe per row). U must stay alive until backward().
    void forward(const MatS& U, const MatS* probes, Workspace& ws, MatS& out, VecS& div) const;
    /// After forward(U): ubar = (dN/dU)^T outbar + (d div/dU)^T divbar row by row (skipped
    /// when null; the probes are held fixed) and grad += sum_i w_i [(dN/dtheta)^T outbar_i +
    /// (d div/dtheta)^T divbar_i] (every w_i = 1 when w is null; skipped when grad is empty).
    void backward(const MatS& outbar, const VecS& divbar, const VecS* w, Workspace& ws,
                  MatS* ubar, Eigen::Ref<Vec> grad) const;
    /// After forward(U): out = (dN/dU) V and ddiv = (d div/dU) V row by row (V: n x input_dim).
    void tangent(const MatS& V, Workspace& ws, MatS& out, VecS& ddiv) const;

private:
    const MatS& weight(Index l) const;
    const Eigen::Matrix<Scalar, 1, Eigen::Dynamic>& bias(Index l) const;

    const MlpKernel& m_kernel;
    Index m_d, m_hidden; // outputs (= probed inputs), hidden layers
    // In float, the kernel's weights rounded (double reads the kernel's).
    std::vector<MatS> m_W;
    std::vector<Eigen::Matrix<Scalar, 1, Eigen::Dynamic>> m_b;
};

using MlpDivergence = BasicMlpDivergence<double>;
using SinglePrecisionMlpDivergence = BasicMlpDivergence<float>;

} // namespace flowkit::nn
