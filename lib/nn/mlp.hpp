// A multilayer perceptron on the ad tape: forward pass, input gradient, input tangent and
// Hessian-vector product written as ordinary tape ops (DESIGN.md "Derivatives"), so one reverse
// sweep differentiates PINN/SympFlow losses built from them with respect to every weight.
#pragma once

#include "ad/tape.hpp"
#include "core/eigen.hpp"

#include <string>
#include <vector>

namespace flowkit::nn {

using Id = ad::Tape::Id;

/// Hidden-layer activation; the output layer is always linear.
enum class Activation
{
    Tanh,
    Sin,
    Sigmoid,
    Softplus,
    Silu, ///< x sigmoid(x)
    Gelu  ///< exact x Phi(x)
};

/// "tanh", "sin", "sigmoid", "softplus", "silu", "gelu".
const char* activation_name(Activation act);
/// Inverse of activation_name; throws UsageError naming --activation otherwise.
Activation parse_activation(const std::string& name);

/// Fully connected network widths[0] -> widths[1] -> ... -> widths.back(), rows = samples:
/// Z_l = A_{l-1} W_l^T + b_l, A_l = act(Z_l) for hidden layers, A_0 = X, N = Z_L (linear
/// output). The formulas number layers 1 .. L; the API's l runs 0 .. layers()-1 (layer l + 1).
///
/// theta layout (one flat Vec): layer by layer, first W_l (widths[l] x widths[l-1], ROW-MAJOR,
/// i.e. W_l(i, j) at offset + i * widths[l-1] + j, PyTorch's weight.flatten() order), then
/// b_l (widths[l] entries). The tape holds W_l as an [out, in] Mat and b_l as [1, out].
class Mlp
{
public:
    /// The forward pass's nodes: Z[l], A[l] for l = 0 .. layers()-1 (layer l + 1 in the
    /// formulas); A[layers()-1] == Z[layers()-1] == out (the output layer is linear).
    struct Trace
    {
        Id X = -1;
        std::vector<Id> Z, A;
        Id out = -1;
    };

    /// At least two widths, each >= 1 (else UsageError naming --widths).
    Mlp(std::vector<Index> widths, Activation act);

    const std::vector<Index>& widths() const { return m_widths; }
    Activation activation() const { return m_act; }
    Index layers() const { return Index(m_widths.size()) - 1; }
    Index input_dim() const { return m_widths.front(); }
    Index output_dim() const { return m_widths.back(); }
    /// sum_l widths[l] * (widths[l-1] + 1).
    Index num_params() const { return m_num_params; }
    /// Offset of W_l in theta (l = 0 .. layers()-1); b_l follows at + rows * cols.
    Index weight_offset(Index l) const { return m_offsets[std::size_t(l)]; }

    /// W (widths[l+1] x widths[l]) and b (1 x widths[l+1]) of layer l from theta (resized).
    void unpack(const Vec& theta, Index l, Mat& W, Mat& b) const;

    /// Puts every W_l, b_l on the tape as params: {W_0, b_0, W_1, b_1, ...}.
    /// Throws std::invalid_argument if theta.size() != num_params().
    std::vector<Id> put_params(ad::Tape& tape, const Vec& theta) const;
    /// The same into `params` (cleared first): with a reused vector and tape, no allocation.
    void put_params(ad::Tape& tape, const Vec& theta, std::vector<Id>& params) const;
    /// The gradients of params (from put_params) after tape.backward(), in theta's layout;
    /// grad is resized. A param the loss does not reach contributes zeros.
    void gather_gradient(const ad::Tape& tape, const std::vector<Id>& params, Vec& grad) const;

    /// Forward pass recording every pre-activation. X is n x input_dim.
    Trace trace(ad::Tape& tape, const std::vector<Id>& params, Id X) const;
    /// N(X), n x output_dim.
    Id forward(ad::Tape& tape, const std::vector<Id>& params, Id X) const;

    /// dN/dX of a scalar network (output_dim == 1, else std::invalid_argument), n x input_dim:
    /// D_{L-1} = act'(Z_{L-1}) .* w_L, D_l = act'(Z_l) .* (D_{l+1} W_{l+1}), dN/dX = D_1 W_1.
    Id input_gradient(ad::Tape& tape, const std::vector<Id>& params, const Trace& tr) const;
    Id input_gradient(ad::Tape& tape, const std::vector<Id>& params, Id X) const;

    /// d/ds N(X + s V) at s = 0, n x output_dim; V is n x input_dim:
    /// Z'_1 = V W_1^T, A'_l = act'(Z_l) .* Z'_l, Z'_{l+1} = A'_l W_{l+1}^T, N' = Z'_L.
    /// With V = e_t this is dN/dt of N(t, x).
    Id tangent(ad::Tape& tape, const std::vector<Id>& params, const Trace& tr, Id V) const;
    Id tangent(ad::Tape& tape, const std::vector<Id>& params, Id X, Id V) const;

    /// Hessian of a scalar network times V, row by row: d/ds dN/dX(X + s V) at s = 0,
    /// n x input_dim (output_dim == 1, else std::invalid_argument):
    /// D'_l = act''(Z_l) .* Z'_l .* B_l + act'(Z_l) .* B'_l with B_l = D_{l+1} W_{l+1}.
    Id hessian_vector(ad::Tape& tape, const std::vector<Id>& params, const Trace& tr,
                      Id V) const;
    Id hessian_vector(ad::Tape& tape, const std::vector<Id>& params, Id X, Id V) const;

    /// N(X) as a plain matrix (n x output_dim into out, resized), through a private tape.
    void evaluate(const Vec& theta, const Mat& X, Mat& out) const;

private:
    /// k-th derivative (k = 0, 1, 2) of the activation at Z as tape ops.
    Id act(ad::Tape& tape, Id Z, int k) const;
    void check_params(const std::vector<Id>& params) const;
    void check_scalar(const char* what) const;

    std::vector<Index> m_widths; // input, hidden..., output
    std::vector<Index> m_offsets; // offset of W_l in theta
    Activation m_act;             // hidden layers
    Index m_num_params = 0;       // length of theta
};

} // namespace flowkit::nn
