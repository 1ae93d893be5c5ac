#include "nn/mlp.hpp"

#include "core/error.hpp"

#include <stdexcept>
#include <string>
#include <utility>

namespace flowkit::nn {

const char* activation_name(Activation act)
{
    switch (act) {
    case Activation::Tanh: return "tanh";
    case Activation::Sin: return "sin";
    case Activation::Sigmoid: return "sigmoid";
    case Activation::Softplus: return "softplus";
    case Activation::Silu: return "silu";
    case Activation::Gelu: return "gelu";
    }
    return "?";
}

Activation parse_activation(const std::string& name)
{
    for (Activation a : {Activation::Tanh, Activation::Sin, Activation::Sigmoid,
                         Activation::Softplus, Activation::Silu, Activation::Gelu})
        if (name == activation_name(a))
            return a;
    throw UsageError("--activation must be one of tanh, sin, sigmoid, softplus, silu, gelu (got '" +
                     name + "')");
}

Mlp::Mlp(std::vector<Index> widths, Activation act) : m_widths(std::move(widths)), m_act(act)
{
    if (m_widths.size() < 2)
        throw UsageError("--widths needs at least an input and an output width (got " +
                         std::to_string(m_widths.size()) + ")");
    for (Index w : m_widths)
        if (w < 1)
            throw UsageError("--widths must all be >= 1 (got " + std::to_string(w) + ")");
    for (std::size_t l = 1; l < m_widths.size(); ++l) {
        m_offsets.push_back(m_num_params);
        m_num_params += m_widths[l] * (m_widths[l - 1] + 1);
    }
}

void Mlp::unpack(const Vec& theta, Index l, Mat& W, Mat& b) const
{
    if (theta.size() != m_num_params)
        throw std::invalid_argument("nn::Mlp: theta has " + std::to_string(theta.size()) +
                                    " entries, the network " + std::to_string(m_num_params));
    const Index out = m_widths[std::size_t(l) + 1], in = m_widths[std::size_t(l)];
    const Index off = m_offsets[std::size_t(l)];
    W = Eigen::Map<const RowMajorMat>(theta.data() + off, out, in);
    b = Eigen::Map<const Mat>(theta.data() + off + out * in, 1, out);
}

std::vector<Id> Mlp::put_params(ad::Tape& tape, const Vec& theta) const
{
    std::vector<Id> params;
    put_params(tape, theta, params);
    return params;
}

void Mlp::put_params(ad::Tape& tape, const Vec& theta, std::vector<Id>& params) const
{
    if (theta.size() != m_num_params)
        throw std::invalid_argument("nn::Mlp: theta has " + std::to_string(theta.size()) +
                                    " entries, the network " + std::to_string(m_num_params));
    params.clear();
    for (Index l = 0; l < layers(); ++l) {
        const Index out = m_widths[std::size_t(l) + 1], in = m_widths[std::size_t(l)];
        const Index off = m_offsets[std::size_t(l)];
        params.push_back(tape.param(Eigen::Map<const RowMajorMat>(theta.data() + off, out, in)));
        params.push_back(tape.param(Eigen::Map<const Mat>(theta.data() + off + out * in, 1, out)));
    }
}

void Mlp::gather_gradient(const ad::Tape& tape, const std::vector<Id>& params, Vec& grad) const
{
    check_params(params);
    grad.resize(m_num_params);
    for (Index l = 0; l < layers(); ++l) {
        const Index out = m_widths[std::size_t(l) + 1], in = m_widths[std::size_t(l)];
        const Index off = m_offsets[std::size_t(l)];
        Eigen::Map<RowMajorMat>(grad.data() + off, out, in) = tape.grad(params[2 * l]);
        Eigen::Map<Mat>(grad.data() + off + out * in, 1, out) = tape.grad(params[2 * l + 1]);
    }
}

void Mlp::check_params(const std::vector<Id>& params) const
{
    if (Index(params.size()) != 2 * layers())
        throw std::invalid_argument("nn::Mlp: " + std::to_string(params.size()) +
                                    " param ids for " + std::to_string(layers()) +
                                    " layers (want W and b per layer)");
}

void Mlp::check_scalar(const char* what) const
{
    if (output_dim() != 1)
        throw std::invalid_argument(std::string("nn::Mlp::") + what +
                                    " needs a scalar network (output width " +
                                    std::to_string(output_dim()) + ")");
}

Id Mlp::act(ad::Tape& tape, Id Z, int k) const
{
    switch (m_act) {
    case Activation::Tanh:
        return k == 0 ? tape.tanh(Z) : k == 1 ? tape.tanh_d1(Z) : tape.tanh_d2(Z);
    case Activation::Sin: // sin' = cos, sin'' = -sin
        return k == 0 ? tape.sin(Z) : k == 1 ? tape.cos(Z) : tape.scale(tape.sin(Z), -1.0);
    case Activation::Sigmoid:
        return k == 0 ? tape.sigmoid(Z) : k == 1 ? tape.sigmoid_d1(Z) : tape.sigmoid_d2(Z);
    case Activation::Softplus: // softplus' = sigmoid
        return k == 0 ? tape.softplus(Z) : k == 1 ? tape.sigmoid(Z) : tape.sigmoid_d1(Z);
    case Activation::Silu:
        return k == 0 ? tape.silu(Z) : k == 1 ? tape.silu_d1(Z) : tape.silu_d2(Z);
    case Activation::Gelu:
        return k == 0 ? tape.gelu(Z) : k == 1 ? tape.gelu_d1(Z) : tape.gelu_d2(Z);
    }
    throw std::logic_error("nn::Mlp: unknown activation");
}

Mlp::Trace Mlp::trace(ad::Tape& tape, const std::vector<Id>& params, Id X) const
{
    check_params(params);
    Trace tr;
    tr.X = X;
    Id A = X;
    for (Index l = 0; l < layers(); ++l) {
        // Z_l = A_{l-1} W_l^T + b_l: [n, in] * [out, in]^T + [1, out]
        const Id Z = tape.add_row(tape.matmul_t(A, params[2 * l]), params[2 * l + 1]);
        tr.Z.push_back(Z);
        A = l + 1 < layers() ? act(tape, Z, 0) : Z;
        tr.A.push_back(A);
    }
    tr.out = A;
    return tr;
}

Id Mlp::forward(ad::Tape& tape, const std::vector<Id>& params, Id X) const
{
    // As trace() without recording the layers: no allocation.
    check_params(params);
    Id A = X;
    for (Index l = 0; l < layers(); ++l) {
        const Id Z = tape.add_row(tape.matmul_t(A, params[2 * l]), params[2 * l + 1]);
        A = l + 1 < layers() ? act(tape, Z, 0) : Z;
    }
    return A;
}

Id Mlp::input_gradient(ad::Tape& tape, const std::vector<Id>& params, const Trace& tr) const
{
    check_scalar("input_gradient");
    check_params(params);
    const Index L = layers();
    if (L == 1) // N = X w^T + b: dN/dX = 1 w, [n,1] * [1,in]
        return tape.matmul(tape.input(Mat::Ones(tape.value(tr.X).rows(), 1)), params[0]);
    // D_{L-2} = act'(Z_{L-2}) .* w_{L-1}  ([n,h] .* [1,h])
    Id D = tape.mul_row(act(tape, tr.Z[std::size_t(L - 2)], 1), params[2 * (L - 1)]);
    for (Index l = L - 2; l >= 1; --l) // D_{l-1} = act'(Z_{l-1}) .* (D_l W_l)
        D = tape.mul(act(tape, tr.Z[std::size_t(l - 1)], 1), tape.matmul(D, params[2 * l]));
    return tape.matmul(D, params[0]); // [n,h] * [h,in]
}

Id Mlp::input_gradient(ad::Tape& tape, const std::vector<Id>& params, Id X) const
{
    return input_gradient(tape, params, trace(tape, params, X));
}

Id Mlp::tangent(ad::Tape& tape, const std::vector<Id>& params, const Trace& tr, Id V) const
{
    check_params(params);
    Id Zp = tape.matmul_t(V, params[0]); // Z'_0 = V W_0^T
    for (Index l = 1; l < layers(); ++l) {
        const Id Ap = tape.mul(act(tape, tr.Z[std::size_t(l - 1)], 1), Zp); // A' = act'(Z) .* Z'
        Zp = tape.matmul_t(Ap, params[2 * l]);                              // Z'_l = A' W_l^T
    }
    return Zp;
}

Id Mlp::tangent(ad::Tape& tape, const std::vector<Id>& params, Id X, Id V) const
{
    return tangent(tape, params, trace(tape, params, X), V);
}

Id Mlp::hessian_vector(ad::Tape& tape, const std::vector<Id>& params, const Trace& tr,
                       Id V) const
{
    check_scalar("hessian_vector");
    check_params(params);
    const Index L = layers();
    if (L == 1) // affine: the Hessian is zero
        return tape.scale(tape.matmul(tape.input(Mat::Ones(tape.value(tr.X).rows(), 1)),
                                      params[0]),
                          0.0);
    // Z'_l along V, for the hidden layers; act1[l] = act'(Z_l), recorded once and reused below
    std::vector<Id> Zp(std::size_t(L - 1)), act1(std::size_t(L - 1));
    Zp[0] = tape.matmul_t(V, params[0]);
    for (Index l = 1; l < L - 1; ++l) {
        act1[std::size_t(l - 1)] = act(tape, tr.Z[std::size_t(l - 1)], 1);
        Zp[std::size_t(l)] =
            tape.matmul_t(tape.mul(act1[std::size_t(l - 1)], Zp[std::size_t(l - 1)]),
                          params[2 * l]);
    }
    // D = act'(Z) .* w,  D' = act''(Z) .* Z' .* w  (last hidden layer)
    std::size_t h = std::size_t(L - 2);
    const Id w = params[2 * (L - 1)];
    Id D = tape.mul_row(act(tape, tr.Z[h], 1), w);
    Id Dp = tape.mul_row(tape.mul(act(tape, tr.Z[h], 2), Zp[h]), w);
    for (Index l = L - 2; l >= 1; --l) {
        // B = D_l W_l, B' = D'_l W_l;  D_{l-1} = act'(Z) .* B,
        // D'_{l-1} = act''(Z) .* Z' .* B + act'(Z) .* B'
        h = std::size_t(l - 1);
        const Id B = tape.matmul(D, params[2 * l]), Bp = tape.matmul(Dp, params[2 * l]);
        const Id d1 = act1[h];
        D = tape.mul(d1, B);
        Dp = tape.add(tape.mul(tape.mul(act(tape, tr.Z[h], 2), Zp[h]), B), tape.mul(d1, Bp));
    }
    return tape.matmul(Dp, params[0]);
}

Id Mlp::hessian_vector(ad::Tape& tape, const std::vector<Id>& params, Id X, Id V) const
{
    return hessian_vector(tape, params, trace(tape, params, X), V);
}

void Mlp::evaluate(const Vec& theta, const Mat& X, Mat& out) const
{
    if (X.cols() != input_dim())
        throw std::invalid_argument("nn::Mlp::evaluate: X has " + std::to_string(X.cols()) +
                                    " columns, the network takes " +
                                    std::to_string(input_dim()));
    ad::Tape tape;
    const auto params = put_params(tape, theta);
    out = tape.value(forward(tape, params, tape.input(X)));
}

} // namespace flowkit::nn
