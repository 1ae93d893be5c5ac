// The fused SympFlow residual. Shapes: m rows (samples), n = dim/2, h_l the width of hidden
// layer l = 0 .. H-1; a potential's stacked batch has 2m rows, [0, m) at s = t, [m, 2m) at s = 0.
//
// One potential U (weights W_0 = [W0y | w0t] on the input [y, s], W_1 .. W_{H-1}, w = W_H),
// sigma = tanh with s1 = sigma', s2 = sigma'', s3 = sigma''' of Z_l:
//   Z_0 = y W0y^T + s w0t^T + b_0,          P_0 = dy W0y^T + ds w0t^T      (ds = 1 at t, 0 at 0)
//   Z_l = tau_{l-1} W_l^T + b_l,            P_l = T_{l-1} W_l^T,  tau = sigma(Z), T = s1 .* P
//   B_{H-1} = w (every row), Bp_{H-1} = 0;  B_{l-1} = D_l W_l,  Bp_{l-1} = Dp_l W_l
//   D_l = s1 .* B_l,                        Dp_l = s2 .* P_l .* B_l + s1 .* Bp_l
//   g = (D_0[t] - D_0[0]) W0y,              hv = (Dp_0[t] - Dp_0[0]) W0y
// (D_0 W_0 is grad U, Dp_0 W_0 its derivative along (dy, ds): Mlp::input_gradient and
// Mlp::hessian_vector; the output Z_H and b_H are never needed.)
//
// Reverse, given gbar, hbar (m x n); Gbar = [gbar; -gbar], Hbar = [hbar; -hbar]:
//   Dbar_0 = Gbar W0y^T, Dpbar_0 = Hbar W0y^T,  W0y_bar += D_0^T Gbar + Dp_0^T Hbar
//   ascending l (Dbar_l, Dpbar_l known), from the D, Dp equations:
//     S1bar_l = Dbar .* B + Dpbar .* Bp,   S2bar_l = Dpbar .* P .* B,   Pbar_l = Dpbar .* s2 .* B
//     Bbar = Dpbar .* s2 .* P + Dbar .* s1,   Bpbar = Dpbar .* s1
//     l < H-1: Dbar_{l+1} = Bbar W_{l+1}^T, Dpbar_{l+1} = Bpbar W_{l+1}^T,
//              W_{l+1}_bar += D_{l+1}^T Bbar + Dp_{l+1}^T Bpbar
//     l = H-1: w_bar += colsum(Bbar)
//   descending l, from the Z, P equations (Pbar_{l+1}, Zbar_{l+1} complete):
//     Tbar_l = Pbar_{l+1} W_{l+1},  Abar_l = Zbar_{l+1} W_{l+1},
//     W_{l+1}_bar += Pbar_{l+1}^T T_l + Zbar_{l+1}^T tau_l,  b_{l+1}_bar += colsum(Zbar_{l+1})
//     S1bar_l += Tbar .* P,  Pbar_l += Tbar .* s1
//     Zbar_l = S1bar .* s2 + S2bar .* s3 + Abar .* s1       (Abar = Tbar = 0 for l = H-1)
//   layer 0: ybar += (Zbar_0[t] + Zbar_0[0]) W0y, dybar += (Pbar_0[t] + Pbar_0[0]) W0y,
//     W0y_bar += (Zbar_0[t] + Zbar_0[0])^T y + (Pbar_0[t] + Pbar_0[0])^T dy,
//     w0t_bar += Zbar_0[t]^T t + colsum(Pbar_0[t]),  b_0_bar += colsum(Zbar_0)
//
// The flow: for k = 0 .. 2L-1, V (even k) reads q and moves p <- p - g, dp <- dp - hv; K (odd k)
// reads p and moves q <- q + g, dq <- dq + hv. With R = dN - F(t, N), S = |R|^2:
//   dS/d(dN) = 2R,  dS/dN = -(dF/dN)^T 2R (the System's vjp); then back through the steps: a
// step's target keeps its adjoint, gbar = sign * zbar, hbar = sign * dzbar, and the potential's
// reverse adds into the adjoints of the coordinate it reads.
#include "models/sympflow_fused.hpp"

#include "ad/tape.hpp"

#include <stdexcept>
#include <string>

namespace flowkit::models {

namespace {

using RowMat = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using ConstW = Eigen::Map<const RowMat>;
using ConstB = Eigen::Map<const Eigen::RowVectorXd>;
using GradW = Eigen::Map<RowMat>;
using GradB = Eigen::Map<Eigen::RowVectorXd>;

// The elementwise steps of a hidden layer, one pass each over its 2m x h entries (Eigen would
// make a pass per output); __restrict lets GCC vectorise them. s2 = -2 tau s1 and
// s3 = (6 tau^2 - 2) s1 are tanh'' and tanh''' in terms of tau = tanh and s1 = tanh'.

// D = s1 .* B, Dp = s2 .* P .* B + s1 .* Bp.
void back_rows(Index size, const double* __restrict tau, const double* __restrict s1,
               const double* __restrict P, const double* __restrict B,
               const double* __restrict Bp, double* __restrict D, double* __restrict Dp)
{
    for (Index i = 0; i < size; ++i) {
        D[i] = s1[i] * B[i];
        Dp[i] = -2.0 * tau[i] * s1[i] * P[i] * B[i] + s1[i] * Bp[i];
    }
}

// The same for one column of the last hidden layer, where B = w and Bp = 0.
void back_rows_last(Index rows, double w, const double* __restrict tau,
                    const double* __restrict s1, const double* __restrict P,
                    double* __restrict D, double* __restrict Dp)
{
    for (Index i = 0; i < rows; ++i) {
        D[i] = s1[i] * w;
        Dp[i] = -2.0 * tau[i] * s1[i] * P[i] * w;
    }
}

// Reverse of back_rows: S1bar, S2bar, Pbar from Dbar, Dpbar; then Dbar <- Bbar, Dpbar <- Bpbar.
void back_rows_reverse(Index size, const double* __restrict tau, const double* __restrict s1,
                       const double* __restrict P, const double* __restrict B,
                       const double* __restrict Bp, double* __restrict Dbar,
                       double* __restrict Dpbar, double* __restrict S1bar,
                       double* __restrict S2bar, double* __restrict Pbar)
{
    for (Index i = 0; i < size; ++i) {
        const double db = Dbar[i], dpb = Dpbar[i], s2 = -2.0 * tau[i] * s1[i];
        S1bar[i] = db * B[i] + dpb * Bp[i];
        S2bar[i] = dpb * P[i] * B[i];
        Pbar[i] = dpb * s2 * B[i];
        Dbar[i] = dpb * s2 * P[i] + db * s1[i];
        Dpbar[i] = dpb * s1[i];
    }
}

// Reverse of back_rows_last for one column; returns w's adjoint, the column sum of Bbar.
double back_rows_last_reverse(Index rows, double w, const double* __restrict tau,
                              const double* __restrict s1, const double* __restrict P,
                              const double* __restrict Dbar, const double* __restrict Dpbar,
                              double* __restrict S1bar, double* __restrict S2bar,
                              double* __restrict Pbar)
{
    double bbar = 0;
    for (Index i = 0; i < rows; ++i) {
        const double db = Dbar[i], dpb = Dpbar[i], s2 = -2.0 * tau[i] * s1[i];
        S1bar[i] = db * w;
        S2bar[i] = dpb * P[i] * w;
        Pbar[i] = dpb * s2 * w;
        bbar += dpb * s2 * P[i] + db * s1[i];
    }
    return bbar;
}

// Zbar = Abar .* s1 + (S1bar + Tbar .* P) .* s2 + S2bar .* s3 (Abar in Zbar on entry),
// Pbar += Tbar .* s1; without Tbar and Abar (null) for the last hidden layer.
void activation_reverse(Index size, const double* __restrict tau, const double* __restrict s1,
                        const double* __restrict P, const double* __restrict S1bar,
                        const double* __restrict S2bar, const double* __restrict Tbar,
                        double* __restrict Pbar, double* __restrict Zbar)
{
    if (!Tbar) {
        for (Index i = 0; i < size; ++i) {
            const double s2 = -2.0 * tau[i] * s1[i], s3 = (6.0 * tau[i] * tau[i] - 2.0) * s1[i];
            Zbar[i] = S1bar[i] * s2 + S2bar[i] * s3;
        }
        return;
    }
    for (Index i = 0; i < size; ++i) {
        const double s2 = -2.0 * tau[i] * s1[i], s3 = (6.0 * tau[i] * tau[i] - 2.0) * s1[i];
        Pbar[i] += Tbar[i] * s1[i];
        Zbar[i] = Zbar[i] * s1[i] + (S1bar[i] + Tbar[i] * P[i]) * s2 + S2bar[i] * s3;
    }
}

} // namespace

bool SympflowResidualKernel::supports(const Sympflow& net)
{
    return net.arch().activation == nn::Activation::Tanh && !net.arch().hidden.empty();
}

SympflowResidualKernel::SympflowResidualKernel(const Sympflow& net)
    : m_net(net), m_n(net.arch().half()), m_widths(net.potential().widths())
{
    if (!supports(net))
        throw std::invalid_argument(std::string("models::SympflowResidualKernel: needs tanh and a "
                                                "hidden layer, not ") +
                                    nn::activation_name(net.arch().activation) + " with " +
                                    std::to_string(net.arch().hidden.size()) + " hidden layers");
    const std::size_t H = m_widths.size() - 2;
    m_steps.resize(std::size_t(2 * net.arch().layers));
    for (Step& st : m_steps)
        st.layers.resize(H);
    for (auto* v : {&m_Dbar, &m_Dpbar, &m_S1bar, &m_S2bar, &m_Pbar, &m_Zbar})
        v->resize(H);
}

void SympflowResidualKernel::shape(Index m)
{
    if (m == m_rows)
        return;
    const Index n = m_n, H = Index(m_widths.size()) - 2;
    for (Step& st : m_steps) {
        st.y.resize(m, n);
        st.dy.resize(m, n);
        for (Index l = 0; l < H; ++l)
            for (Mat* M : {&st.layers[std::size_t(l)].tau, &st.layers[std::size_t(l)].s1,
                           &st.layers[std::size_t(l)].P, &st.layers[std::size_t(l)].D,
                           &st.layers[std::size_t(l)].Dp, &st.layers[std::size_t(l)].B,
                           &st.layers[std::size_t(l)].Bp, &st.layers[std::size_t(l)].T})
                M->resize(2 * m, m_widths[std::size_t(l + 1)]);
    }
    for (auto* v : {&m_Dbar, &m_Dpbar, &m_S1bar, &m_S2bar, &m_Pbar, &m_Zbar})
        for (Index l = 0; l < H; ++l)
            (*v)[std::size_t(l)].resize(2 * m, m_widths[std::size_t(l + 1)]);
    for (Mat* M : {&m_q, &m_p, &m_dq, &m_dp, &m_g, &m_hv, &m_gbar, &m_hbar, &m_qbar, &m_pbar,
                   &m_dqbar, &m_dpbar})
        M->resize(m, n);
    for (Mat* M : {&m_N, &m_dN, &m_F, &m_Nbar})
        M->resize(m, 2 * n);
    m_tmp.resize(m, m_widths[1]);
    m_w0t_bar.resize(m_widths[1]);
    m_rows = m;
}

void SympflowResidualKernel::potential_forward(const Vec& theta, Index k, const Vec& t, Step& st)
{
    const nn::Mlp& mlp = m_net.potential();
    const Index m = m_rows, n = m_n, H = Index(m_widths.size()) - 2;
    const double* base = theta.data() + k * mlp.num_params();
    auto W = [&](Index l) {
        return ConstW(base + mlp.weight_offset(l), m_widths[std::size_t(l + 1)],
                      m_widths[std::size_t(l)]);
    };
    auto b = [&](Index l) {
        const Index out = m_widths[std::size_t(l + 1)], in = m_widths[std::size_t(l)];
        return ConstB(base + mlp.weight_offset(l) + out * in, out);
    };
    auto layer = [&](Index l) -> Layer& { return st.layers[std::size_t(l)]; };

    const ConstW W0 = W(0);
    const auto W0y = W0.leftCols(n);
    const auto w0t = W0.col(n);
    {
        Layer& L0 = layer(0);
        Mat& Z = m_Zbar[0];
        m_tmp.noalias() = st.y * W0y.transpose();
        m_tmp.rowwise() += b(0);
        Z.topRows(m) = m_tmp + t * w0t.transpose();
        Z.bottomRows(m) = m_tmp;
        ad::tanh_values(Z, L0.tau);
        L0.s1.array() = 1.0 - L0.tau.array().square();
        m_tmp.noalias() = st.dy * W0y.transpose();
        L0.P.topRows(m) = m_tmp.rowwise() + w0t.transpose();
        L0.P.bottomRows(m) = m_tmp;
    }
    for (Index l = 1; l < H; ++l) {
        Layer& prev = layer(l - 1);
        Layer& cur = layer(l);
        const ConstW Wl = W(l);
        Mat& Z = m_Zbar[std::size_t(l)];
        Z.noalias() = prev.tau * Wl.transpose();
        Z.rowwise() += b(l);
        ad::tanh_values(Z, cur.tau);
        cur.s1.array() = 1.0 - cur.tau.array().square();
        prev.T.array() = prev.s1.array() * prev.P.array();
        cur.P.noalias() = prev.T * Wl.transpose();
    }
    {
        Layer& last = layer(H - 1);
        const ConstW wH = W(H);
        for (Index c = 0; c < last.tau.cols(); ++c)
            back_rows_last(last.tau.rows(), wH(0, c), &last.tau(0, c), &last.s1(0, c),
                           &last.P(0, c), &last.D(0, c), &last.Dp(0, c));
    }
    for (Index l = H - 2; l >= 0; --l) {
        const Layer& next = layer(l + 1);
        Layer& cur = layer(l);
        const ConstW Wn = W(l + 1);
        cur.B.noalias() = next.D * Wn;
        cur.Bp.noalias() = next.Dp * Wn;
        back_rows(cur.tau.size(), cur.tau.data(), cur.s1.data(), cur.P.data(), cur.B.data(),
                  cur.Bp.data(), cur.D.data(), cur.Dp.data());
    }
    const Layer& L0 = layer(0);
    m_tmp = L0.D.topRows(m) - L0.D.bottomRows(m);
    m_g.noalias() = m_tmp * W0y;
    m_tmp = L0.Dp.topRows(m) - L0.Dp.bottomRows(m);
    m_hv.noalias() = m_tmp * W0y;
}

void SympflowResidualKernel::forward(const Vec& theta, const Eigen::Ref<const Vec>& t,
                                     const Eigen::Ref<const Mat>& x0)
{
    if (theta.size() != m_net.num_params())
        throw std::invalid_argument("models::SympflowResidualKernel: theta has " +
                                    std::to_string(theta.size()) + " entries, the network " +
                                    std::to_string(m_net.num_params()));
    if (x0.cols() != 2 * m_n || t.size() != x0.rows())
        throw std::invalid_argument("models::SympflowResidualKernel: x0 is " +
                                    std::to_string(x0.rows()) + "x" + std::to_string(x0.cols()) +
                                    " with " + std::to_string(t.size()) + " times, the network's "
                                    "dimension is " + std::to_string(2 * m_n));
    const Index m = x0.rows(), n = m_n;
    shape(m);
    m_t = t;
    m_q = x0.leftCols(n);
    m_p = x0.rightCols(n);
    m_dq.setZero();
    m_dp.setZero();
    for (Index k = 0; k < Index(m_steps.size()); ++k) {
        Step& st = m_steps[std::size_t(k)];
        if (k % 2 == 0) { // V: p <- p - g
            st.y = m_q;
            st.dy = m_dq;
            potential_forward(theta, k, m_t, st);
            m_p -= m_g;
            m_dp -= m_hv;
        } else { // K: q <- q + g
            st.y = m_p;
            st.dy = m_dp;
            potential_forward(theta, k, m_t, st);
            m_q += m_g;
            m_dq += m_hv;
        }
    }
    m_N.leftCols(n) = m_q;
    m_N.rightCols(n) = m_p;
    m_dN.leftCols(n) = m_dq;
    m_dN.rightCols(n) = m_dp;
}

void SympflowResidualKernel::flow(const Vec& theta, const Eigen::Ref<const Vec>& t,
                                  const Eigen::Ref<const Mat>& x0, Mat& N, Mat& dNdt)
{
    forward(theta, t, x0);
    N = m_N;
    dNdt = m_dN;
}

void SympflowResidualKernel::potential_reverse(const Vec& theta, Index k, const Vec& t, Step& st,
                                               Mat& ybar, Mat& dybar, Vec& grad)
{
    const nn::Mlp& mlp = m_net.potential();
    const Index m = m_rows, n = m_n, H = Index(m_widths.size()) - 2;
    const Index offset = k * mlp.num_params();
    const double* base = theta.data() + offset;
    double* gbase = grad.data() + offset;
    auto W = [&](Index l) {
        return ConstW(base + mlp.weight_offset(l), m_widths[std::size_t(l + 1)],
                      m_widths[std::size_t(l)]);
    };
    auto gW = [&](Index l) {
        return GradW(gbase + mlp.weight_offset(l), m_widths[std::size_t(l + 1)],
                     m_widths[std::size_t(l)]);
    };
    auto gb = [&](Index l) {
        const Index out = m_widths[std::size_t(l + 1)], in = m_widths[std::size_t(l)];
        return GradB(gbase + mlp.weight_offset(l) + out * in, out);
    };
    auto layer = [&](Index l) -> Layer& { return st.layers[std::size_t(l)]; };

    const ConstW W0 = W(0);
    const auto W0y = W0.leftCols(n);
    GradW gW0 = gW(0);
    {
        const Layer& L0 = layer(0);
        Mat &Dbar = m_Dbar[0], &Dpbar = m_Dpbar[0];
        Dbar.topRows(m).noalias() = m_gbar * W0y.transpose();
        Dbar.bottomRows(m) = -Dbar.topRows(m);
        Dpbar.topRows(m).noalias() = m_hbar * W0y.transpose();
        Dpbar.bottomRows(m) = -Dpbar.topRows(m);
        m_tmp = L0.D.topRows(m) - L0.D.bottomRows(m);
        gW0.leftCols(n).noalias() += m_tmp.transpose() * m_gbar;
        m_tmp = L0.Dp.topRows(m) - L0.Dp.bottomRows(m);
        gW0.leftCols(n).noalias() += m_tmp.transpose() * m_hbar;
    }
    for (Index l = 0; l < H; ++l) {
        const std::size_t j = std::size_t(l);
        const Layer& cur = layer(l);
        if (l < H - 1) {
            // m_Dbar[j], m_Dpbar[j] become Bbar, Bpbar
            back_rows_reverse(cur.tau.size(), cur.tau.data(), cur.s1.data(), cur.P.data(),
                              cur.B.data(), cur.Bp.data(), m_Dbar[j].data(), m_Dpbar[j].data(),
                              m_S1bar[j].data(), m_S2bar[j].data(), m_Pbar[j].data());
            const Layer& next = layer(l + 1);
            const ConstW Wn = W(l + 1);
            GradW gWn = gW(l + 1);
            m_Dbar[j + 1].noalias() = m_Dbar[j] * Wn.transpose();
            m_Dpbar[j + 1].noalias() = m_Dpbar[j] * Wn.transpose();
            gWn.noalias() += next.D.transpose().lazyProduct(m_Dbar[j]) +
                             next.Dp.transpose().lazyProduct(m_Dpbar[j]);
        } else {
            const ConstW wH = W(H);
            GradW gwH = gW(H);
            for (Index c = 0; c < cur.tau.cols(); ++c)
                gwH(0, c) += back_rows_last_reverse(
                    cur.tau.rows(), wH(0, c), &cur.tau(0, c), &cur.s1(0, c), &cur.P(0, c),
                    &m_Dbar[j](0, c), &m_Dpbar[j](0, c), &m_S1bar[j](0, c), &m_S2bar[j](0, c),
                    &m_Pbar[j](0, c));
        }
    }
    for (Index l = H - 1; l >= 0; --l) {
        const std::size_t j = std::size_t(l);
        const Layer& cur = layer(l);
        const double* Tbar = nullptr;
        if (l < H - 1) {
            const ConstW Wn = W(l + 1);
            GradW gWn = gW(l + 1);
            gWn.noalias() += m_Pbar[j + 1].transpose().lazyProduct(cur.T) +
                             m_Zbar[j + 1].transpose().lazyProduct(cur.tau);
            gb(l + 1) += m_Zbar[j + 1].colwise().sum();
            m_Dpbar[j].noalias() = m_Pbar[j + 1] * Wn; // Tbar
            m_Zbar[j].noalias() = m_Zbar[j + 1] * Wn;  // Abar
            Tbar = m_Dpbar[j].data();
        }
        activation_reverse(cur.tau.size(), cur.tau.data(), cur.s1.data(), cur.P.data(),
                           m_S1bar[j].data(), m_S2bar[j].data(), Tbar, m_Pbar[j].data(),
                           m_Zbar[j].data());
    }
    const Mat &Zbar = m_Zbar[0], &Pbar = m_Pbar[0];
    m_tmp = Zbar.topRows(m) + Zbar.bottomRows(m);
    ybar.noalias() += m_tmp * W0y;
    gW0.leftCols(n).noalias() += m_tmp.transpose() * st.y;
    gb(0) += Zbar.colwise().sum();
    // into a contiguous vector first: a product into the strided column would need a temporary
    m_w0t_bar.noalias() = Zbar.topRows(m).transpose() * t;
    m_w0t_bar += Pbar.topRows(m).colwise().sum().transpose();
    gW0.col(n) += m_w0t_bar;
    m_tmp = Pbar.topRows(m) + Pbar.bottomRows(m);
    dybar.noalias() += m_tmp * W0y;
    gW0.leftCols(n).noalias() += m_tmp.transpose() * st.dy;
}

double SympflowResidualKernel::residual(const ode::System& system, const Vec& theta,
                                        const Eigen::Ref<const Vec>& t,
                                        const Eigen::Ref<const Mat>& x0, Vec* grad)
{
    if (system.dim() != 2 * m_n)
        throw std::invalid_argument("models::SympflowResidualKernel: the system has " +
                                    std::to_string(system.dim()) + " state variables, the "
                                    "network " + std::to_string(2 * m_n));
    forward(theta, t, x0);
    const Index n = m_n;
    system.rhs(m_t, m_N, m_F);
    m_F = m_dN - m_F; // R
    const double S = m_F.squaredNorm();
    if (!grad)
        return S;
    grad->setZero(m_net.num_params());
    m_F *= 2.0; // dS/d(dN)
    system.vjp(m_t, m_N, m_F, m_Nbar);
    m_qbar = -m_Nbar.leftCols(n);
    m_pbar = -m_Nbar.rightCols(n);
    m_dqbar = m_F.leftCols(n);
    m_dpbar = m_F.rightCols(n);
    for (Index k = Index(m_steps.size()) - 1; k >= 0; --k) {
        Step& st = m_steps[std::size_t(k)];
        if (k % 2 == 0) { // p <- p - g(q)
            m_gbar = -m_pbar;
            m_hbar = -m_dpbar;
            potential_reverse(theta, k, m_t, st, m_qbar, m_dqbar, *grad);
        } else { // q <- q + g(p)
            m_gbar = m_qbar;
            m_hbar = m_dqbar;
            potential_reverse(theta, k, m_t, st, m_pbar, m_dpbar, *grad);
        }
    }
    return S;
}

} // namespace flowkit::models
