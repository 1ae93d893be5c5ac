// The input gradient of a scalar tanh MLP U and its Hessian along a direction, G = grad U(X)
// and HV = Hess U(X) V row by row, with the reverse pass that turns adjoints of G and HV into
// the weight gradient, all in closed form (DESIGN.md "Derivatives"). This is the shape of the
// SympFlow loss, d/dt grad_x V(t, x) (V = e_t); Mlp::input_gradient and Mlp::hessian_vector
// build the same on the tape, in many small nodes, and the tests check one against the other.
//
// Every hidden layer keeps its value branch and its tangent branch stacked as one matrix of 2m
// rows (value rows on top), so that both go through the layer's weights in one product, and a
// weight's gradient from both branches is one product too.
//
// In float (HessianVectorKernelF: sympflow-train --precision single) the weights and every
// matrix of the passes are float; theta and its gradient stay double, a weight's gradient summed
// in float over the rows of one call.
#pragma once

#include "core/eigen.hpp"
#include "nn/mlp.hpp"

#include <vector>

namespace flowkit::nn {

template <class Scalar>
class BasicHessianVectorKernel
{
public:
    using Matrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;
    using RowVector = Eigen::Matrix<Scalar, 1, Eigen::Dynamic>;

    /// What forward() leaves for reverse(). One per evaluation that is still to be reversed;
    /// reused without allocation for the same number of rows.
    struct Workspace
    {
        Index rows = 0;  // m of the last forward()
        Matrix in;       // [X; V]
        Matrix out;      // [G; HV], 2m x input_dim
        // Per hidden layer l: P, m x h_l (the pre-activation's tangent; the pre-activation Z
        // itself is not kept), and 2m x h_l: [tau; T] (tanh(Z) and tanh'(Z) P; tau alone in the
        // last hidden layer), [B; Bp] (D, Dp of layer l + 1 times its weights; empty in the last
        // hidden layer, where B = w and Bp = 0) and [D; Dp] (the input gradient's and its
        // tangent's rows back-propagated to layer l).
        std::vector<Matrix> P, AT, BB, DD;
    };
    /// The reverse pass's scratch: it holds nothing between calls, so evaluations reversed one
    /// after the other share one (per thread), which keeps their memory in cache.
    struct ReverseWorkspace
    {
        // 2m x h_l: per hidden layer but the last, the adjoints of [B; Bp] and of s1 = tanh'
        // and s2 = tanh'' stacked [S1; S2] (empty in the last); per hidden layer, that of [Z; P].
        std::vector<Matrix> DDbar, Sbar, ZPbar;
        Matrix wbar;  // w's adjoint in the lanes of a chunk, a column of lanes per unit
    };

    /// True if the kernel handles the net: one output, tanh hidden layers, at least one of them.
    static bool supports(const Mlp& net);

    /// Weights from theta in the Mlp's layout; std::invalid_argument unless supports(net).
    BasicHessianVectorKernel(const Mlp& net, const Eigen::Ref<const Vec>& theta);

    const Mlp& net() const { return m_net; }
    void set_params(const Eigen::Ref<const Vec>& theta);

    /// ws.out = [G; HV]: rows [0, m) hold grad U(X), rows [m, 2m) Hess U(X) V, row by row;
    /// X and V are m x input_dim.
    void forward(const Matrix& X, const Matrix& V, Workspace& ws) const;

    /// After forward(): with GHbar = [dS/dG; dS/dHV] (2m x input_dim) for a loss S, adds
    /// dS/dtheta into grad (num_params entries, Mlp layout; the output bias gets nothing, as G
    /// does not depend on it) and, unless XVbar is null, sets *XVbar = [dS/dX; dS/dV]
    /// (resized to 2m x input_dim). std::invalid_argument for other shapes.
    void reverse(const Matrix& GHbar, const Workspace& ws, ReverseWorkspace& rs,
                 Eigen::Ref<Vec> grad, Matrix* XVbar) const;

private:
    void shape(Index m, Workspace& ws) const;
    void shape(Index m, ReverseWorkspace& rs) const;

    Mlp m_net;
    Index m_hidden;                       // number of hidden layers, H
    std::vector<Matrix> m_W;              // W_l, out x in, l = 0 .. H (W_H is the row w)
    std::vector<RowVector> m_b;           // b_l, l = 0 .. H - 1
};

using HessianVectorKernel = BasicHessianVectorKernel<double>;
using HessianVectorKernelF = BasicHessianVectorKernel<float>;

} // namespace flowkit::nn
