// The closed form. m rows, hidden layers l = 0 .. H-1 of widths h_l, weights W_0 .. W_{H-1},
// the output row w = W_H; tanh with s1 = tanh', s2 = tanh'', s3 = tanh''' at Z. Forward:
//   [Z_0; P_0] = [X; V] W_0^T (+ b_0 on top),  [Z_l; P_l] = [tau; T]_{l-1} W_l^T (+ b_l on top)
//   tau = tanh(Z), T = s1 .* P
//   B_{H-1} = w (every row), Bp_{H-1} = 0;  [B; Bp]_{l-1} = [D; Dp]_l W_l
//   D = s1 .* B,  Dp = s2 .* P .* B + s1 .* Bp;  [G; HV] = [D; Dp]_0 W_0
// Reverse, given [Gbar; Hbar]:
//   [Dbar; Dpbar]_0 = [Gbar; Hbar] W_0^T,  W_0bar += [D; Dp]_0^T [Gbar; Hbar]
//   ascending l, from the D, Dp equations:
//     S1bar = Dbar .* B + Dpbar .* Bp,  S2bar = Dpbar .* P .* B,  Pbar = Dpbar .* s2 .* B
//     Bbar = Dpbar .* s2 .* P + Dbar .* s1,  Bpbar = Dpbar .* s1
//     l < H-1: [Dbar; Dpbar]_{l+1} = [Bbar; Bpbar] W_{l+1}^T, W_{l+1}bar += [D; Dp]_{l+1}^T [Bbar; Bpbar]
//     l = H-1: wbar += colsum(Bbar)
//   descending l, from the Z, P equations ([Zbar; Pbar]_{l+1} complete):
//     [Abar; Tbar] = [Zbar; Pbar]_{l+1} W_{l+1},  W_{l+1}bar += [Zbar; Pbar]_{l+1}^T [tau; T]_l,
//     b_{l+1}bar += colsum(Zbar_{l+1})
//     S1bar += Tbar .* P,  Pbar += Tbar .* s1,  Zbar = Abar .* s1 + S1bar .* s2 + S2bar .* s3
//   [Xbar; Vbar] += [Zbar; Pbar]_0 W_0,  W_0bar += [Zbar; Pbar]_0^T [X; V],  b_0bar += colsum(Zbar_0)
// (A stacked product sums the two branches: [D; Dp]^T [Gbar; Hbar] = D^T Gbar + Dp^T Hbar.)
// The last hidden layer's two elementwise steps run as one pass, forward (activate_last) and in
// reverse (activate_last_reverse).
#include "nn/hessian_vector_kernel.hpp"

#include "ad/activation_values.hpp"
#include "nn/narrow_products.hpp"

#include <stdexcept>
#include <string>

namespace flowkit::nn {

namespace {

// The elementwise steps, one column of a stacked 2m-row matrix at a time: top points at the
// value rows, top + m at the tangent rows. s1 = 1 - tau^2, s2 = -2 tau s1, s3 = (6 tau^2 - 2) s1.

// [tau; T] from [Z; P].
template <class Scalar>
void activate(Index m, const Scalar* __restrict ZP, Scalar* __restrict AT)
{
    ad::tanh_values(m, ZP, AT);
    for (Index i = 0; i < m; ++i)
        AT[m + i] = (Scalar(1) - AT[i] * AT[i]) * ZP[m + i];
}

// The last hidden layer in one pass: [tau; T] from [Z; P], then [D; Dp] with B = w, Bp = 0.
template <class Scalar>
void activate_last(Index m, Scalar w, const Scalar* __restrict ZP, Scalar* __restrict AT,
                   Scalar* __restrict DD)
{
    ad::tanh_values(m, ZP, AT);
    for (Index i = 0; i < m; ++i) {
        const Scalar tau = AT[i], P = ZP[m + i];
        const Scalar s1 = Scalar(1) - tau * tau;
        AT[m + i] = s1 * P;
        DD[i] = s1 * w;
        DD[m + i] = Scalar(-2) * tau * s1 * P * w;
    }
}

// The reverse of activate_last: [Zbar; Pbar] from [Dbar; Dpbar]; returns w's adjoint, the
// column sum of Bbar = Dpbar s2 P + Dbar s1.
template <class Scalar>
Scalar activate_last_reverse(Index m, Scalar w, const Scalar* __restrict AT,
                             const Scalar* __restrict ZP, const Scalar* __restrict DDbar,
                             Scalar* __restrict ZPbar)
{
    Scalar wbar = 0;
    for (Index i = 0; i < m; ++i) {
        const Scalar tau = AT[i], P = ZP[m + i];
        const Scalar db = DDbar[i], dpb = DDbar[m + i];
        const Scalar s1 = Scalar(1) - tau * tau;
        const Scalar s2 = Scalar(-2) * tau * s1, s3 = (Scalar(6) * tau * tau - Scalar(2)) * s1;
        wbar += dpb * s2 * P + db * s1;
        ZPbar[m + i] = dpb * s2 * w;
        ZPbar[i] = db * w * s2 + dpb * P * w * s3;
    }
    return wbar;
}

// [D; Dp] from tau, P and [B; Bp].
template <class Scalar>
void back_rows(Index m, const Scalar* __restrict AT, const Scalar* __restrict ZP,
               const Scalar* __restrict BB, Scalar* __restrict DD)
{
    for (Index i = 0; i < m; ++i) {
        const Scalar tau = AT[i], P = ZP[m + i], B = BB[i], Bp = BB[m + i];
        const Scalar s1 = Scalar(1) - tau * tau;
        DD[i] = s1 * B;
        DD[m + i] = Scalar(-2) * tau * s1 * P * B + s1 * Bp;
    }
}

// From [Dbar; Dpbar] (overwritten by [Bbar; Bpbar]): [S1bar; S2bar] and Pbar.
template <class Scalar>
void back_rows_reverse(Index m, const Scalar* __restrict AT, const Scalar* __restrict ZP,
                       const Scalar* __restrict BB, Scalar* __restrict DDbar,
                       Scalar* __restrict Sbar, Scalar* __restrict ZPbar)
{
    for (Index i = 0; i < m; ++i) {
        const Scalar tau = AT[i], P = ZP[m + i], B = BB[i], Bp = BB[m + i];
        const Scalar db = DDbar[i], dpb = DDbar[m + i];
        const Scalar s1 = Scalar(1) - tau * tau, s2 = Scalar(-2) * tau * s1;
        Sbar[i] = db * B + dpb * Bp;
        Sbar[m + i] = dpb * P * B;
        ZPbar[m + i] = dpb * s2 * B;
        DDbar[i] = dpb * s2 * P + db * s1;
        DDbar[m + i] = dpb * s1;
    }
}

// Zbar (top of ZPbar) from [S1bar; S2bar] and [Abar; Tbar]; Pbar += Tbar s1.
template <class Scalar>
void activation_reverse(Index m, const Scalar* __restrict AT, const Scalar* __restrict ZP,
                        const Scalar* __restrict Sbar, const Scalar* __restrict ATbar,
                        Scalar* __restrict ZPbar)
{
    for (Index i = 0; i < m; ++i) {
        const Scalar tau = AT[i], P = ZP[m + i], Abar = ATbar[i], Tbar = ATbar[m + i];
        const Scalar s1 = Scalar(1) - tau * tau;
        const Scalar s2 = Scalar(-2) * tau * s1, s3 = (Scalar(6) * tau * tau - Scalar(2)) * s1;
        ZPbar[m + i] += Tbar * s1;
        ZPbar[i] = Abar * s1 + (Sbar[i] + Tbar * P) * s2 + Sbar[m + i] * s3;
    }
}

} // namespace

template <class Scalar>
bool BasicHessianVectorKernel<Scalar>::supports(const Mlp& net)
{
    return net.activation() == Activation::Tanh && net.output_dim() == 1 && net.layers() >= 2;
}

template <class Scalar>
BasicHessianVectorKernel<Scalar>::BasicHessianVectorKernel(const Mlp& net,
                                                           const Eigen::Ref<const Vec>& theta)
    : m_net(net), m_hidden(net.layers() - 1)
{
    if (!supports(net))
        throw std::invalid_argument(std::string("nn::HessianVectorKernel: needs a scalar tanh net "
                                                "with a hidden layer, not ") +
                                    activation_name(net.activation()) + " with " +
                                    std::to_string(net.output_dim()) + " outputs and " +
                                    std::to_string(m_hidden) + " hidden layers");
    set_params(theta);
}

template <class Scalar>
void BasicHessianVectorKernel<Scalar>::set_params(const Eigen::Ref<const Vec>& theta)
{
    if (theta.size() != m_net.num_params())
        throw std::invalid_argument("nn::HessianVectorKernel: theta has " +
                                    std::to_string(theta.size()) + " entries, the network " +
                                    std::to_string(m_net.num_params()));
    // Into matrices of the same shapes every time: no allocation after the first call.
    m_W.resize(std::size_t(m_hidden + 1));
    m_b.resize(std::size_t(m_hidden));
    for (Index l = 0; l <= m_hidden; ++l) {
        const std::size_t k = std::size_t(l);
        const Index in = m_net.widths()[k], out = m_net.widths()[k + 1];
        const double* W = theta.data() + m_net.weight_offset(l);
        m_W[k] = Eigen::Map<const RowMajorMat>(W, out, in).cast<Scalar>();
        if (l < m_hidden)
            m_b[k] = Eigen::Map<const Eigen::RowVectorXd>(W + out * in, out).cast<Scalar>();
    }
}

template <class Scalar>
void BasicHessianVectorKernel<Scalar>::shape(Index m, Workspace& ws) const
{
    if (ws.rows == m && ws.ZP.size() == std::size_t(m_hidden))
        return;
    for (auto* v : {&ws.ZP, &ws.AT, &ws.BB, &ws.DD})
        v->resize(std::size_t(m_hidden));
    for (Index l = 0; l < m_hidden; ++l) {
        const std::size_t k = std::size_t(l);
        const Index h = m_W[k].rows();
        for (Matrix* M : {&ws.ZP[k], &ws.AT[k], &ws.DD[k]})
            M->resize(2 * m, h);
        if (l + 1 < m_hidden) // the last hidden layer has B = w, Bp = 0
            ws.BB[k].resize(2 * m, h);
    }
    ws.rows = m;
}

template <class Scalar>
void BasicHessianVectorKernel<Scalar>::shape(Index m, ReverseWorkspace& rs) const
{
    for (auto* v : {&rs.DDbar, &rs.Sbar, &rs.ZPbar, &rs.ATbar})
        v->resize(std::size_t(m_hidden));
    for (Index l = 0; l < m_hidden; ++l) {
        const std::size_t k = std::size_t(l);
        const Index h = m_W[k].rows();
        for (Matrix* M : {&rs.DDbar[k], &rs.ZPbar[k]})
            M->resize(2 * m, h);
        if (l + 1 < m_hidden) { // the last goes from [Dbar; Dpbar] to [Zbar; Pbar] in one pass
            rs.Sbar[k].resize(2 * m, h);
            rs.ATbar[k].resize(2 * m, h);
        }
    }
}

template <class Scalar>
void BasicHessianVectorKernel<Scalar>::forward(const Matrix& X, const Matrix& V,
                                               Workspace& ws) const
{
    const Index d = m_net.input_dim(), m = X.rows(), H = m_hidden;
    if (X.cols() != d || V.cols() != d || V.rows() != m)
        throw std::invalid_argument("nn::HessianVectorKernel: X is " + std::to_string(X.rows()) +
                                    "x" + std::to_string(X.cols()) + ", V " +
                                    std::to_string(V.rows()) + "x" + std::to_string(V.cols()) +
                                    ", the network takes " + std::to_string(d) + " inputs");
    shape(m, ws);
    ws.in.resize(2 * m, d);
    ws.in.topRows(m) = X;
    ws.in.bottomRows(m) = V;
    for (Index l = 0; l < H; ++l) {
        const std::size_t k = std::size_t(l);
        Matrix& ZP = ws.ZP[k];
        times_transpose(l == 0 ? ws.in : ws.AT[k - 1], m_W[k], ZP);
        ZP.topRows(m).rowwise() += m_b[k];
        for (Index c = 0; c < ZP.cols(); ++c) {
            if (l < H - 1)
                activate(m, &ZP(0, c), &ws.AT[k](0, c));
            else
                activate_last(m, m_W[k + 1](0, c), &ZP(0, c), &ws.AT[k](0, c), &ws.DD[k](0, c));
        }
    }
    for (Index l = H - 2; l >= 0; --l) {
        const std::size_t k = std::size_t(l);
        back_through(ws.DD[k + 1], m_W[k + 1], ws.BB[k]);
        for (Index c = 0; c < ws.DD[k].cols(); ++c)
            back_rows(m, &ws.AT[k](0, c), &ws.ZP[k](0, c), &ws.BB[k](0, c), &ws.DD[k](0, c));
    }
    back_through(ws.DD[0], m_W[0], ws.out);
}

template <class Scalar>
void BasicHessianVectorKernel<Scalar>::reverse(const Matrix& GHbar, const Workspace& ws,
                                               ReverseWorkspace& rs, Eigen::Ref<Vec> grad,
                                               Matrix* XVbar) const
{
    const Index d = m_net.input_dim(), m = ws.rows, H = m_hidden;
    if (GHbar.rows() != 2 * m || GHbar.cols() != d || grad.size() != m_net.num_params())
        throw std::invalid_argument("nn::HessianVectorKernel: the adjoint is " +
                                    std::to_string(GHbar.rows()) + "x" +
                                    std::to_string(GHbar.cols()) + " and the gradient has " +
                                    std::to_string(grad.size()) + " entries, want " +
                                    std::to_string(2 * m) + "x" + std::to_string(d) + " and " +
                                    std::to_string(m_net.num_params()));
    if (XVbar && (XVbar->rows() != 2 * m || XVbar->cols() != d))
        throw std::invalid_argument("nn::HessianVectorKernel: the input adjoint is " +
                                    std::to_string(XVbar->rows()) + "x" +
                                    std::to_string(XVbar->cols()) + ", want " +
                                    std::to_string(2 * m) + "x" + std::to_string(d));
    shape(m, rs);
    auto gW = [&](Index l) {
        const Matrix& W = m_W[std::size_t(l)];
        return Eigen::Map<RowMajorMat>(grad.data() + m_net.weight_offset(l), W.rows(), W.cols());
    };
    auto gb = [&](Index l) {
        const Matrix& W = m_W[std::size_t(l)];
        return grad.segment(m_net.weight_offset(l) + W.size(), W.rows());
    };

    // Each weight's gradient has a term from the [D; Dp] rows and one from the [Z; P] rows; both
    // are added in the descending loop, in one product.
    times_transpose(GHbar, m_W[0], rs.DDbar[0]);
    for (Index l = 0; l + 1 < H; ++l) {
        const std::size_t k = std::size_t(l);
        for (Index c = 0; c < ws.DD[k].cols(); ++c)
            back_rows_reverse(m, &ws.AT[k](0, c), &ws.ZP[k](0, c), &ws.BB[k](0, c),
                              &rs.DDbar[k](0, c), &rs.Sbar[k](0, c), &rs.ZPbar[k](0, c));
        times_transpose(rs.DDbar[k], m_W[k + 1], rs.DDbar[k + 1]);
    }
    {
        const std::size_t k = std::size_t(H - 1);
        for (Index c = 0; c < ws.ZP[k].cols(); ++c)
            gW(H)(0, c) += activate_last_reverse(m, m_W[k + 1](0, c), &ws.AT[k](0, c),
                                                 &ws.ZP[k](0, c), &rs.DDbar[k](0, c),
                                                 &rs.ZPbar[k](0, c));
    }
    for (Index l = H - 2; l >= 0; --l) {
        const std::size_t k = std::size_t(l);
        const Matrix& ZPbar = rs.ZPbar[k + 1];
        back_through(ZPbar, m_W[k + 1], rs.ATbar[k]);
        add_outer(ws.DD[k + 1], rs.DDbar[k], ZPbar, ws.AT[k], gW(l + 1));
        gb(l + 1) += ZPbar.topRows(m).colwise().sum().transpose().template cast<double>();
        for (Index c = 0; c < ws.ZP[k].cols(); ++c)
            activation_reverse(m, &ws.AT[k](0, c), &ws.ZP[k](0, c), &rs.Sbar[k](0, c),
                               &rs.ATbar[k](0, c), &rs.ZPbar[k](0, c));
    }
    const Matrix& ZPbar = rs.ZPbar[0];
    add_outer(ws.DD[0], GHbar, ZPbar, ws.in, gW(0));
    gb(0) += ZPbar.topRows(m).colwise().sum().transpose().template cast<double>();
    if (XVbar) {
        back_through(ZPbar, m_W[0], rs.XVbar);
        *XVbar += rs.XVbar;
    }
}

template class BasicHessianVectorKernel<double>;
template class BasicHessianVectorKernel<float>;

} // namespace flowkit::nn
