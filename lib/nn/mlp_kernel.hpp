// An Mlp evaluated in closed form, without the tape (DESIGN.md "Derivatives": the MLP vector
// field of a Neural ODE is called hundreds of times per optimiser step, on the same shapes, and
// needs only first derivatives): the forward pass keeps each layer's activation and its
// derivative, from which the reverse pass (input and weight gradients) and the tangent follow.
// Checked against the tape in tests/unit/test_nn_mlp_kernel.cpp.
#pragma once

#include "core/eigen.hpp"
#include "nn/mlp.hpp"

#include <type_traits>
#include <vector>

namespace flowkit::nn {

/// In double (MlpKernel) or in float (SinglePrecisionMlp, nn/single_precision_mlp.hpp); theta
/// and the parameter gradient are double either way.
template <class Scalar>
class BasicMlpKernel
{
public:
    using Matrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;
    using Vector = Eigen::Matrix<Scalar, Eigen::Dynamic, 1>;
    using RowVector = Eigen::Matrix<Scalar, 1, Eigen::Dynamic>;

    /// What a forward pass leaves for backward() and tangent(): A[l] = act(Z) of hidden layer
    /// l and D[l] = act'(Z) (empty for tanh: 1 - A^2), plus scratch. One per thread; reused
    /// without allocation.
    struct Workspace
    {
        std::vector<Matrix> A, D;
        std::vector<Matrix> deltas, weighted; // backward(): per layer
        Matrix delta, next;
        const Matrix* X = nullptr; // the input of the last forward()
    };

    /// Weights from theta in the Mlp's layout (rounded, in float).
    BasicMlpKernel(const Mlp& net, const Vec& theta);
    /// Another precision's weights (a double kernel's, rounded to float).
    template <class Other, class = std::enable_if_t<!std::is_same_v<Other, Scalar>>>
    explicit BasicMlpKernel(const BasicMlpKernel<Other>& other) : m_net(other.net())
    {
        for (Index l = 0; l < m_net.layers(); ++l) {
            m_W.push_back(other.weight(l).template cast<Scalar>());
            m_b.push_back(other.bias(l).template cast<Scalar>());
        }
    }

    const Mlp& net() const { return m_net; }
    void set_params(const Vec& theta);

    /// out = N(X), n x output_dim (resized). X must stay alive until backward()/tangent(),
    /// which need keep_derivatives (without it, act' is not computed; tanh keeps none either
    /// way: its derivative is 1 - A^2).
    void forward(const Matrix& X, Workspace& ws, Matrix& out, bool keep_derivatives = true) const;
    /// forward() without the output layer: all that backward() and tangent() need (a VJP
    /// without the value saves an eighth of the products of node-fit's reverse pass).
    void forward_hidden(const Matrix& X, Workspace& ws, bool keep_derivatives = true) const;
    /// After forward(X): xbar = (dN/dX)^T abar row by row (skipped when xbar is null), and
    /// grad += sum_i w_i (dN/dtheta)(X_i)^T abar_i in the Mlp's layout (every w_i = 1 when w is
    /// null; no parameter gradient when grad is empty; in float, the sum over the rows in
    /// float). abar is n x output_dim.
    void backward(const Matrix& abar, const Vector* w, Workspace& ws, Matrix* xbar,
                  Eigen::Ref<Vec> grad) const;
    /// After forward(X): out = (dN/dX) V row by row; V is n x input_dim.
    void tangent(const Matrix& V, Workspace& ws, Matrix& out) const;

    /// W_l (outputs x inputs) and b_l of layer l = 0 .. layers()-1.
    const Matrix& weight(Index l) const { return m_W[std::size_t(l)]; }
    const RowVector& bias(Index l) const { return m_b[std::size_t(l)]; }

private:
    /// out = act'(Z_l) .* M, act' from the workspace of the last forward().
    void act_derivative_times(const Workspace& ws, Index l, const Matrix& M, Matrix& out) const;

    Mlp m_net;
    std::vector<Matrix> m_W; // out x in
    std::vector<RowVector> m_b;
};

using MlpKernel = BasicMlpKernel<double>;

/// A = act(Z), entry by entry (tanh from ad::tanh_values), in double or in float
/// (nn::SinglePrecisionMlp).
void activation_values(Activation act, const Mat& Z, Mat& A);
void activation_values(Activation act, const MatF& Z, MatF& A);
/// A = act(Z) and D = act'(Z), entry by entry.
void activation_and_derivative(Activation act, const Mat& Z, Mat& A, Mat& D);
void activation_and_derivative(Activation act, const MatF& Z, MatF& A, MatF& D);
/// D2 = act''(Z) from Z, A = act(Z) and D = act'(Z).
void activation_second_derivative(Activation act, const Mat& Z, const Mat& A, const Mat& D,
                                  Mat& D2);
void activation_second_derivative(Activation act, const MatF& Z, const MatF& A, const MatF& D,
                                  MatF& D2);

} // namespace flowkit::nn
