#include "nn/mlp_kernel.hpp"

#include "ad/tape.hpp"
#include "nn/narrow_products.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

namespace flowkit::nn {

namespace {

constexpr double inv_sqrt2 = 0.70710678118654752440;   // 1/sqrt(2)
constexpr double inv_sqrt2pi = 0.39894228040143267794; // 1/sqrt(2 pi)

template <class M>
void tanh_of(const M& Z, M& A)
{
    A.resize(Z.rows(), Z.cols());
    ad::tanh_values(Z.size(), Z.data(), A.data());
}

template <class M>
void sigmoid_of(const M& Z, M& S)
{
    using Scalar = typename M::Scalar;
    S = (Scalar(1) / (Scalar(1) + (-Z.array()).exp())).matrix();
}

template <class M>
void activation_and_derivative_of(Activation act, const M& Z, M& A, M& D)
{
    using Scalar = typename M::Scalar;
    const Scalar one(1);
    switch (act) {
    case Activation::Tanh:
        tanh_of(Z, A);
        D = one - A.array().square();
        return;
    case Activation::Sin:
        A = Z.array().sin();
        D = Z.array().cos();
        return;
    case Activation::Sigmoid:
        sigmoid_of(Z, A);
        D = A.array() * (one - A.array());
        return;
    case Activation::Softplus: // log(1 + e^z) = max(z, 0) + log1p(e^-|z|); derivative sigmoid
        A = Z.array().max(Scalar(0)) + (-Z.array().abs()).exp().log1p();
        sigmoid_of(Z, D);
        return;
    case Activation::Silu: // z s, derivative s (1 + z (1 - s))
        sigmoid_of(Z, D);
        A = Z.array() * D.array();
        D = D.array() * (one + Z.array() * (one - D.array()));
        return;
    case Activation::Gelu: // z Phi(z), derivative Phi + z phi
        A = Z;
        D = Z;
        for (Index j = 0; j < Z.cols(); ++j)
            for (Index i = 0; i < Z.rows(); ++i) {
                const Scalar z = Z(i, j);
                const Scalar Phi = Scalar(0.5) * std::erfc(-z * Scalar(inv_sqrt2));
                A(i, j) = z * Phi;
                D(i, j) = Phi + z * Scalar(inv_sqrt2pi) * std::exp(Scalar(-0.5) * z * z);
            }
        return;
    }
}

template <class M>
void activation_values_of(Activation act, const M& Z, M& A)
{
    switch (act) {
    case Activation::Tanh:
        tanh_of(Z, A);
        return;
    case Activation::Sin:
        A = Z.array().sin();
        return;
    case Activation::Sigmoid:
        sigmoid_of(Z, A);
        return;
    default: {
        M D;
        activation_and_derivative_of(act, Z, A, D);
        return;
    }
    }
}

template <class M>
void activation_second_derivative_of(Activation act, const M& Z, const M& A, const M& D, M& D2)
{
    using Scalar = typename M::Scalar;
    const Scalar one(1), two(2);
    switch (act) {
    case Activation::Tanh: // (1 - t^2)' = -2 t (1 - t^2)
        D2 = -two * A.array() * D.array();
        return;
    case Activation::Sin:
        D2 = -A;
        return;
    case Activation::Sigmoid: // (s (1 - s))' = s (1 - s)(1 - 2 s)
        D2 = D.array() * (one - two * A.array());
        return;
    case Activation::Softplus: // the derivative is the sigmoid s; s' = s (1 - s)
        D2 = D.array() * (one - D.array());
        return;
    case Activation::Silu: { // (s + z s (1 - s))' = s (1 - s)(2 + z (1 - 2 s))
        M s;
        sigmoid_of(Z, s);
        D2 = s.array() * (one - s.array()) * (two + Z.array() * (one - two * s.array()));
        return;
    }
    case Activation::Gelu: // (Phi + z phi)' = (2 - z^2) phi
        D2 = (two - Z.array().square()) * Scalar(inv_sqrt2pi) *
             (Scalar(-0.5) * Z.array().square()).exp();
        return;
    }
}

} // namespace

void activation_values(Activation act, const Mat& Z, Mat& A)
{
    activation_values_of(act, Z, A);
}

void activation_values(Activation act, const MatF& Z, MatF& A)
{
    activation_values_of(act, Z, A);
}

void activation_and_derivative(Activation act, const Mat& Z, Mat& A, Mat& D)
{
    activation_and_derivative_of(act, Z, A, D);
}

void activation_and_derivative(Activation act, const MatF& Z, MatF& A, MatF& D)
{
    activation_and_derivative_of(act, Z, A, D);
}

void activation_second_derivative(Activation act, const Mat& Z, const Mat& A, const Mat& D,
                                  Mat& D2)
{
    activation_second_derivative_of(act, Z, A, D, D2);
}

void activation_second_derivative(Activation act, const MatF& Z, const MatF& A, const MatF& D,
                                  MatF& D2)
{
    activation_second_derivative_of(act, Z, A, D, D2);
}

template <class Scalar>
BasicMlpKernel<Scalar>::BasicMlpKernel(const Mlp& net, const Vec& theta) : m_net(net)
{
    set_params(theta);
}

template <class Scalar>
void BasicMlpKernel<Scalar>::set_params(const Vec& theta)
{
    const Index L = m_net.layers();
    m_W.resize(std::size_t(L));
    m_b.resize(std::size_t(L));
    Mat W, b;
    for (Index l = 0; l < L; ++l) {
        m_net.unpack(theta, l, W, b);
        m_W[std::size_t(l)] = W.cast<Scalar>();
        m_b[std::size_t(l)] = b.row(0).cast<Scalar>();
    }
}

template <class Scalar>
void BasicMlpKernel<Scalar>::forward(const Matrix& X, Workspace& ws, Matrix& out,
                                     bool keep_derivatives) const
{
    forward_hidden(X, ws, keep_derivatives);
    const auto k = std::size_t(m_net.layers() - 1);
    affine(k == 0 ? X : ws.A[k - 1], m_W[k], m_b[k], out);
}

template <class Scalar>
void BasicMlpKernel<Scalar>::forward_hidden(const Matrix& X, Workspace& ws,
                                            bool keep_derivatives) const
{
    const Index L = m_net.layers();
    if (X.cols() != m_net.input_dim())
        throw std::invalid_argument("nn::MlpKernel: input has " + std::to_string(X.cols()) +
                                    " columns, the network takes " +
                                    std::to_string(m_net.input_dim()));
    ws.A.resize(std::size_t(L - 1));
    ws.D.resize(std::size_t(L - 1));
    ws.X = &X;
    const Matrix* in = &X;
    for (Index l = 0; l + 1 < L; ++l) {
        const auto k = std::size_t(l);
        if (m_net.activation() == Activation::Tanh) {
            // In place: a layer then touches half the memory (a 128 x 64 float block no longer
            // spills out of L1), and sampling a CNF took 9 % less time. No D: backward() and
            // tangent() take tanh' = 1 - A^2 from A (in backward(), within the product's pass).
            affine(*in, m_W[k], m_b[k], ws.A[k]);
            ad::tanh_in_place(ws.A[k].size(), ws.A[k].data());
        } else {
            affine(*in, m_W[k], m_b[k], ws.next);
            if (keep_derivatives)
                activation_and_derivative(m_net.activation(), ws.next, ws.A[k], ws.D[k]);
            else
                activation_values(m_net.activation(), ws.next, ws.A[k]);
        }
        in = &ws.A[k];
    }
}

template <class Scalar>
void BasicMlpKernel<Scalar>::act_derivative_times(const Workspace& ws, Index l, const Matrix& M,
                                                  Matrix& out) const
{
    if (m_net.activation() == Activation::Tanh)
        out = M.array() * (Scalar(1) - ws.A[std::size_t(l)].array().square());
    else
        out = M.cwiseProduct(ws.D[std::size_t(l)]);
}

template <class Scalar>
void BasicMlpKernel<Scalar>::backward(const Matrix& abar, const Vector* w, Workspace& ws,
                                      Matrix* xbar, Eigen::Ref<Vec> grad) const
{
    const Index L = m_net.layers();
    const bool params = grad.size() > 0;
    if (params && grad.size() != m_net.num_params())
        throw std::invalid_argument("nn::MlpKernel: gradient has the wrong size");
    // delta_l = dN/dZ_l applied to abar: delta_L = abar, delta_l = (delta_{l+1} W_{l+1}) .* D_l;
    // then dW_l = delta_l^T diag(w) A_{l-1}, db_l = delta_l^T w. Each layer has its own delta:
    // one matrix of alternating shapes was reallocated twice a call.
    ws.deltas.resize(std::size_t(L));
    ws.weighted.resize(std::size_t(L));
    const Matrix* delta = &abar;
    for (Index l = L - 1; l >= 0; --l) {
        const auto k = std::size_t(l);
        if (params) {
            const Matrix& in = l == 0 ? *ws.X : ws.A[k - 1];
            const Matrix* d = delta;
            if (w) {
                ws.weighted[k] = w->asDiagonal() * *delta;
                d = &ws.weighted[k];
            }
            const Index off = m_net.weight_offset(l), rows = m_W[k].rows(), cols = m_W[k].cols();
            add_outer(*d, in, Eigen::Map<RowMajorMat>(grad.data() + off, rows, cols));
            grad.segment(off + rows * cols, rows) +=
                d->colwise().sum().transpose().template cast<double>();
        }
        if (l > 0) {
            if (m_net.activation() == Activation::Tanh) {
                back_through_tanh(*delta, m_W[k], ws.A[k - 1], ws.deltas[k - 1]);
            } else {
                back_through(*delta, m_W[k], ws.next);
                act_derivative_times(ws, k - 1, ws.next, ws.deltas[k - 1]);
            }
            delta = &ws.deltas[k - 1];
        } else if (xbar) {
            back_through(*delta, m_W[k], *xbar);
        }
    }
}

template <class Scalar>
void BasicMlpKernel<Scalar>::tangent(const Matrix& V, Workspace& ws, Matrix& out) const
{
    const Index L = m_net.layers();
    // Z'_1 = V W_1^T, Z'_{l+1} = (D_l .* Z'_l) W_{l+1}^T.
    ws.delta.noalias() = V * m_W[0].transpose();
    for (Index l = 1; l < L; ++l) {
        const auto k = std::size_t(l);
        act_derivative_times(ws, k - 1, ws.delta, ws.next);
        ws.delta.noalias() = ws.next * m_W[k].transpose();
    }
    out = ws.delta;
}

template class BasicMlpKernel<double>;
template class BasicMlpKernel<float>;

} // namespace flowkit::nn
