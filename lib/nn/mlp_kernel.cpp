#include "nn/mlp_kernel.hpp"

#include "ad/tape.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace flowkit::nn {

namespace {

using RowMajorMat = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

constexpr double inv_sqrt2 = 0.70710678118654752440;   // 1/sqrt(2)
constexpr double inv_sqrt2pi = 0.39894228040143267794; // 1/sqrt(2 pi)

/// Eigen's matrix product packs its operands and zeroes the result first: for a layer with a
/// side of a few units (the 2 -> 32 -> 2 vector field of a Neural ODE) that is most of the work.
/// Such products run here column by column, each column a vectorised sum over the rows.
constexpr Index narrow = 8;

/// out = in W^T + b (W: outputs x inputs).
void affine(const Mat& in, const Mat& W, const Eigen::RowVectorXd& b, Mat& out)
{
    if (std::min(W.rows(), W.cols()) > narrow) {
        out.noalias() = in * W.transpose();
        out.rowwise() += b;
        return;
    }
    out.resize(in.rows(), W.rows());
    for (Index j = 0; j < W.rows(); ++j) {
        auto o = out.col(j);
        o.setConstant(b(j));
        for (Index k = 0; k < W.cols(); ++k)
            o += W(j, k) * in.col(k);
    }
}

/// out = delta W (delta: rows x outputs).
void back_through(const Mat& delta, const Mat& W, Mat& out)
{
    if (std::min(W.rows(), W.cols()) > narrow) {
        out.noalias() = delta * W;
        return;
    }
    out.resize(delta.rows(), W.cols());
    for (Index k = 0; k < W.cols(); ++k) {
        auto o = out.col(k);
        o = W(0, k) * delta.col(0);
        for (Index j = 1; j < W.rows(); ++j)
            o += W(j, k) * delta.col(j);
    }
}

/// G += delta^T in, G outputs x inputs (row-major in theta).
void add_outer(const Mat& delta, const Mat& in, Eigen::Map<RowMajorMat> G)
{
    if (std::min(G.rows(), G.cols()) > narrow) {
        G.noalias() += delta.transpose() * in;
        return;
    }
    for (Index j = 0; j < G.rows(); ++j)
        for (Index k = 0; k < G.cols(); ++k)
            G(j, k) += delta.col(j).dot(in.col(k));
}

} // namespace

void activation_and_derivative(Activation act, const Mat& Z, Mat& A, Mat& D)
{
    switch (act) {
    case Activation::Tanh:
        ad::tanh_values(Z, A);
        D = 1.0 - A.array().square();
        return;
    case Activation::Sin:
        A = Z.array().sin();
        D = Z.array().cos();
        return;
    case Activation::Sigmoid:
        ad::sigmoid_values(Z, A);
        D = A.array() * (1.0 - A.array());
        return;
    case Activation::Softplus: // log(1 + e^z) = max(z, 0) + log1p(e^-|z|); derivative sigmoid
        A = Z.array().max(0.0) + (-Z.array().abs()).exp().log1p();
        ad::sigmoid_values(Z, D);
        return;
    case Activation::Silu: // z s, derivative s (1 + z (1 - s))
        ad::sigmoid_values(Z, D);
        A = Z.array() * D.array();
        D = D.array() * (1.0 + Z.array() * (1.0 - D.array()));
        return;
    case Activation::Gelu: // z Phi(z), derivative Phi + z phi
        A = Z;
        D = Z;
        for (Index j = 0; j < Z.cols(); ++j)
            for (Index i = 0; i < Z.rows(); ++i) {
                const double z = Z(i, j);
                const double Phi = 0.5 * std::erfc(-z * inv_sqrt2);
                A(i, j) = z * Phi;
                D(i, j) = Phi + z * inv_sqrt2pi * std::exp(-0.5 * z * z);
            }
        return;
    }
}

MlpKernel::MlpKernel(const Mlp& net, const Vec& theta) : m_net(net)
{
    set_params(theta);
}

void MlpKernel::set_params(const Vec& theta)
{
    const Index L = m_net.layers();
    m_W.resize(std::size_t(L));
    m_b.resize(std::size_t(L));
    Mat b;
    for (Index l = 0; l < L; ++l) {
        m_net.unpack(theta, l, m_W[std::size_t(l)], b);
        m_b[std::size_t(l)] = b.row(0);
    }
}

void MlpKernel::forward(const Mat& X, Workspace& ws, Mat& out) const
{
    const Index L = m_net.layers();
    if (X.cols() != m_net.input_dim())
        throw std::invalid_argument("nn::MlpKernel: input has " + std::to_string(X.cols()) +
                                    " columns, the network takes " +
                                    std::to_string(m_net.input_dim()));
    ws.A.resize(std::size_t(L - 1));
    ws.D.resize(std::size_t(L - 1));
    ws.X = &X;
    const Mat* in = &X;
    for (Index l = 0; l + 1 < L; ++l) {
        const auto k = std::size_t(l);
        affine(*in, m_W[k], m_b[k], ws.next);
        activation_and_derivative(m_net.activation(), ws.next, ws.A[k], ws.D[k]);
        in = &ws.A[k];
    }
    const auto k = std::size_t(L - 1);
    affine(*in, m_W[k], m_b[k], out);
}

void MlpKernel::backward(const Mat& abar, const Vec* w, Workspace& ws, Mat* xbar,
                         Eigen::Ref<Vec> grad) const
{
    const Index L = m_net.layers();
    const bool params = grad.size() > 0;
    if (params && grad.size() != m_net.num_params())
        throw std::invalid_argument("nn::MlpKernel: gradient has the wrong size");
    // delta_l = dN/dZ_l applied to abar: delta_L = abar, delta_l = (delta_{l+1} W_{l+1}) .* D_l;
    // then dW_l = delta_l^T diag(w) A_{l-1}, db_l = delta_l^T w.
    ws.delta = abar;
    for (Index l = L - 1; l >= 0; --l) {
        const auto k = std::size_t(l);
        if (params) {
            const Mat& in = l == 0 ? *ws.X : ws.A[k - 1];
            const Mat* d = &ws.delta;
            if (w) {
                ws.weighted = w->asDiagonal() * ws.delta;
                d = &ws.weighted;
            }
            const Index off = m_net.weight_offset(l), rows = m_W[k].rows(), cols = m_W[k].cols();
            add_outer(*d, in, Eigen::Map<RowMajorMat>(grad.data() + off, rows, cols));
            grad.segment(off + rows * cols, rows) += d->colwise().sum().transpose();
        }
        if (l > 0) {
            back_through(ws.delta, m_W[k], ws.next);
            ws.delta = ws.next.cwiseProduct(ws.D[k - 1]);
        } else if (xbar) {
            back_through(ws.delta, m_W[k], *xbar);
        }
    }
}

void MlpKernel::tangent(const Mat& V, Workspace& ws, Mat& out) const
{
    const Index L = m_net.layers();
    // Z'_1 = V W_1^T, Z'_{l+1} = (D_l .* Z'_l) W_{l+1}^T.
    ws.delta.noalias() = V * m_W[0].transpose();
    for (Index l = 1; l < L; ++l) {
        const auto k = std::size_t(l);
        ws.next = ws.delta.cwiseProduct(ws.D[k - 1]);
        ws.delta.noalias() = ws.next * m_W[k].transpose();
    }
    out = ws.delta;
}

} // namespace flowkit::nn
