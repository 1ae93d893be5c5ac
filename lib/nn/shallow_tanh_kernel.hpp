// A tanh network with one hidden layer and a few inputs and outputs, in -> h -> out (node-fit's
// default vector field is 2 -> 32 -> 2), evaluated a chunk of rows at a time with the hidden
// layer in registers. nn::MlpKernel runs a layer at a time: it writes the hidden layer to
// memory, reads it back for tanh and again for the next product, and its reverse pass stores
// and re-reads the hidden layer's adjoint; with two inputs and two outputs those passes cost
// more than the multiply-adds between them. Here nothing of width h is stored: a chunk of rows
// goes through tanh and both products while it is in registers, and the reverse pass sums the
// weight gradients lane by lane in registers, unit by unit. Checked against nn::MlpKernel in
// tests/unit/test_nn_shallow_tanh_kernel.cpp.
#pragma once

#include "core/eigen.hpp"
#include "nn/mlp_kernel.hpp"

#include <vector>

namespace flowkit::nn {

/// In double or in float (as nn::BasicMlpKernel: theta and the parameter gradient double; a
/// weight gradient summed over the rows in float, then added).
template <class Scalar>
class BasicShallowTanhKernel
{
public:
    using Matrix = typename BasicMlpKernel<Scalar>::Matrix;
    using Vector = typename BasicMlpKernel<Scalar>::Vector;

    /// The most inputs and outputs it takes (one instance of the loops per pair).
    static constexpr Index max_side = 4;
    /// Whether it evaluates net: one tanh hidden layer, at most max_side inputs and outputs.
    static bool fits(const Mlp& net);

    /// The weights of a kernel whose network fits() (else std::invalid_argument).
    explicit BasicShallowTanhKernel(const BasicMlpKernel<Scalar>& kernel);

    /// out = N(X), n x outputs (resized).
    void forward(const Matrix& X, Matrix& out) const;
    /// xbar = (dN/dX)^T abar row by row and grad += sum_i w_i (dN/dtheta)(X_i)^T abar_i in the
    /// Mlp's layout (every w_i = 1 when w is null; no parameter gradient when grad is empty),
    /// and out = N(X) unless it is null; xbar and out are resized.
    void vjp(const Matrix& X, const Matrix& abar, const Vector* w, Matrix* out, Matrix& xbar,
             Eigen::Ref<Vec> grad) const;

    /// The weights the loops read, row-major: W1 (h x in), b1 (h), W2 (out x h), b2 (out), and
    /// where their gradients go in theta.
    struct Weights
    {
        Index in, hidden, out, W1_offset, W2_offset;
        std::vector<Scalar> W1, b1, W2, b2;
    };

private:
    Weights m_w;
};

using ShallowTanhKernel = BasicShallowTanhKernel<double>;
using SinglePrecisionShallowTanhKernel = BasicShallowTanhKernel<float>;

} // namespace flowkit::nn
