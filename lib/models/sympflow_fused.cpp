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
#include "nn/chunked_products.hpp"

#include <stdexcept>
#include <string>

namespace flowkit::models {

namespace {

using GradB = Eigen::Map<Eigen::RowVectorXd>;
using nn::chunked_add_transpose_times;
using nn::chunked_times;

nn::ConstColumns cols(const Mat& M) { return {M.data(), M.rows()}; }
nn::Columns cols(Mat& M) { return {M.data(), M.rows()}; }
// The bottom half of a stacked batch (rows [m, 2m)).
nn::Columns bottom(Mat& M, Index m) { return {M.data() + m, M.rows()}; }

// One potential's parameters in theta: W_l (row-major, outputs x inputs), read as it is or
// transposed, and b_l; their offsets are the same in the gradient.
class PotentialWeights
{
public:
    PotentialWeights(const nn::Mlp& mlp, const std::vector<Index>& widths, const double* base)
        : m_mlp(mlp), m_widths(widths), m_base(base)
    {
    }
    const double* W(Index l) const { return m_base + m_mlp.weight_offset(l); }
    const double* b(Index l) const { return W(l) + out(l) * in(l); }
    Index in(Index l) const { return m_widths[std::size_t(l)]; }
    Index out(Index l) const { return m_widths[std::size_t(l + 1)]; }
    /// w(j, k) = W_l(j, k): x W_l^T.
    nn::Weights weights(Index l) const { return {W(l), in(l), 1}; }
    /// w(j, k) = W_l(k, j): x W_l.
    nn::Weights transposed(Index l) const { return {W(l), 1, in(l)}; }

private:
    const nn::Mlp& m_mlp;
    const std::vector<Index>& m_widths;
    const double* m_base;
};

// The elementwise steps of a hidden layer, one pass each over its 2m x h entries (Eigen would
// make a pass per output); __restrict lets GCC vectorise them. s1 = 1 - tau^2, s2 = -2 tau s1
// and s3 = (6 tau^2 - 2) s1 are tanh', tanh'' and tanh''' in terms of tau = tanh.

// D = s1 .* B, Dp = s2 .* P .* B + s1 .* Bp.
void back_rows(Index size, const double* __restrict tau, const double* __restrict P,
               const double* __restrict B, const double* __restrict Bp, double* __restrict D,
               double* __restrict Dp)
{
    for (Index i = 0; i < size; ++i) {
        const double s1 = 1.0 - tau[i] * tau[i];
        D[i] = s1 * B[i];
        Dp[i] = -2.0 * tau[i] * s1 * P[i] * B[i] + s1 * Bp[i];
    }
}

// The same for one column of the last hidden layer, where B = w and Bp = 0.
void back_rows_last(Index rows, double w, const double* __restrict tau,
                    const double* __restrict P, double* __restrict D, double* __restrict Dp)
{
    for (Index i = 0; i < rows; ++i) {
        const double s1 = 1.0 - tau[i] * tau[i];
        D[i] = s1 * w;
        Dp[i] = -2.0 * tau[i] * s1 * P[i] * w;
    }
}

// Reverse of back_rows: S1bar, S2bar, Pbar from Dbar, Dpbar; then Dbar <- Bbar, Dpbar <- Bpbar.
void back_rows_reverse(Index size, const double* __restrict tau, const double* __restrict P,
                       const double* __restrict B, const double* __restrict Bp,
                       double* __restrict Dbar, double* __restrict Dpbar,
                       double* __restrict S1bar, double* __restrict S2bar,
                       double* __restrict Pbar)
{
    for (Index i = 0; i < size; ++i) {
        const double db = Dbar[i], dpb = Dpbar[i];
        const double s1 = 1.0 - tau[i] * tau[i], s2 = -2.0 * tau[i] * s1;
        S1bar[i] = db * B[i] + dpb * Bp[i];
        S2bar[i] = dpb * P[i] * B[i];
        Pbar[i] = dpb * s2 * B[i];
        Dbar[i] = dpb * s2 * P[i] + db * s1;
        Dpbar[i] = dpb * s1;
    }
}

// Reverse of back_rows_last for one column; returns w's adjoint, the column sum of Bbar.
double back_rows_last_reverse(Index rows, double w, const double* __restrict tau,
                              const double* __restrict P, const double* __restrict Dbar,
                              const double* __restrict Dpbar, double* __restrict S1bar,
                              double* __restrict S2bar, double* __restrict Pbar)
{
    double bbar = 0;
    for (Index i = 0; i < rows; ++i) {
        const double db = Dbar[i], dpb = Dpbar[i];
        const double s1 = 1.0 - tau[i] * tau[i], s2 = -2.0 * tau[i] * s1;
        S1bar[i] = db * w;
        S2bar[i] = dpb * P[i] * w;
        Pbar[i] = dpb * s2 * w;
        bbar += dpb * s2 * P[i] + db * s1;
    }
    return bbar;
}

// Zbar = Abar .* s1 + (S1bar + Tbar .* P) .* s2 + S2bar .* s3 (Abar in Zbar on entry),
// Pbar += Tbar .* s1; without Tbar and Abar (null) for the last hidden layer.
void activation_reverse(Index size, const double* __restrict tau, const double* __restrict P,
                        const double* __restrict S1bar, const double* __restrict S2bar,
                        const double* __restrict Tbar, double* __restrict Pbar,
                        double* __restrict Zbar)
{
    if (!Tbar) {
        for (Index i = 0; i < size; ++i) {
            const double s1 = 1.0 - tau[i] * tau[i];
            const double s2 = -2.0 * tau[i] * s1, s3 = (6.0 * tau[i] * tau[i] - 2.0) * s1;
            Zbar[i] = S1bar[i] * s2 + S2bar[i] * s3;
        }
        return;
    }
    for (Index i = 0; i < size; ++i) {
        const double s1 = 1.0 - tau[i] * tau[i];
        const double s2 = -2.0 * tau[i] * s1, s3 = (6.0 * tau[i] * tau[i] - 2.0) * s1;
        Pbar[i] += Tbar[i] * s1;
        Zbar[i] = Zbar[i] * s1 + (S1bar[i] + Tbar[i] * P[i]) * s2 + S2bar[i] * s3;
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
            for (Mat* M : {&st.layers[std::size_t(l)].tau, &st.layers[std::size_t(l)].P,
                           &st.layers[std::size_t(l)].D,
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
    m_w0t.resize(m_widths[1]);
    m_rows = m;
}

void SympflowResidualKernel::potential_forward(const Vec& theta, Index k, const Vec& t, Step& st)
{
    const nn::Mlp& mlp = m_net.potential();
    const Index m = m_rows, n = m_n, H = Index(m_widths.size()) - 2;
    const PotentialWeights U(mlp, m_widths, theta.data() + k * mlp.num_params());
    auto layer = [&](Index l) -> Layer& { return st.layers[std::size_t(l)]; };

    // W_0 = [W0y | w0t]: the first n columns read y (and dy), the last one s.
    const Index h0 = U.out(0);
    const nn::Weights W0y = U.weights(0), W0y_t = U.transposed(0);
    for (Index j = 0; j < h0; ++j)
        m_w0t(j) = U.W(0)[j * (n + 1) + n];
    {
        Layer& L0 = layer(0);
        Mat& Z = m_Zbar[0];
        chunked_times(m, n, h0, cols(st.y), W0y, U.b(0), cols(Z));
        chunked_times(m, n, h0, cols(st.y), W0y, U.b(0), bottom(Z, m));
        Z.topRows(m).noalias() += t * m_w0t.transpose();
        ad::tanh_values(Z, L0.tau);
        chunked_times(m, n, h0, cols(st.dy), W0y, m_w0t.data(), cols(L0.P));
        chunked_times(m, n, h0, cols(st.dy), W0y, nullptr, bottom(L0.P, m));
    }
    for (Index l = 1; l < H; ++l) {
        Layer& prev = layer(l - 1);
        Layer& cur = layer(l);
        Mat& Z = m_Zbar[std::size_t(l)];
        chunked_times(2 * m, U.in(l), U.out(l), cols(prev.tau), U.weights(l), U.b(l), cols(Z));
        ad::tanh_values(Z, cur.tau);
        prev.T.array() = (1.0 - prev.tau.array().square()) * prev.P.array();
        chunked_times(2 * m, U.in(l), U.out(l), cols(prev.T), U.weights(l), nullptr, cols(cur.P));
    }
    {
        Layer& last = layer(H - 1);
        const double* wH = U.W(H);
        for (Index c = 0; c < last.tau.cols(); ++c)
            back_rows_last(last.tau.rows(), wH[c], &last.tau(0, c), &last.P(0, c),
                           &last.D(0, c), &last.Dp(0, c));
    }
    for (Index l = H - 2; l >= 0; --l) {
        const Layer& next = layer(l + 1);
        Layer& cur = layer(l);
        const nn::Weights Wn = U.transposed(l + 1);
        chunked_times(2 * m, U.out(l + 1), U.out(l), cols(next.D), Wn, nullptr, cols(cur.B));
        chunked_times(2 * m, U.out(l + 1), U.out(l), cols(next.Dp), Wn, nullptr, cols(cur.Bp));
        back_rows(cur.tau.size(), cur.tau.data(), cur.P.data(), cur.B.data(), cur.Bp.data(),
                  cur.D.data(), cur.Dp.data());
    }
    const Layer& L0 = layer(0);
    m_tmp = L0.D.topRows(m) - L0.D.bottomRows(m);
    chunked_times(m, h0, n, cols(m_tmp), W0y_t, nullptr, cols(m_g));
    m_tmp = L0.Dp.topRows(m) - L0.Dp.bottomRows(m);
    chunked_times(m, h0, n, cols(m_tmp), W0y_t, nullptr, cols(m_hv));
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
    const PotentialWeights U(mlp, m_widths, theta.data() + offset);
    double* gbase = grad.data() + offset;
    auto gW = [&](Index l) { return gbase + mlp.weight_offset(l); }; // row-major, ld = U.in(l)
    auto gb = [&](Index l) { return GradB(gW(l) + U.out(l) * U.in(l), U.out(l)); };
    auto layer = [&](Index l) -> Layer& { return st.layers[std::size_t(l)]; };

    const Index h0 = U.out(0);
    const nn::Weights W0y = U.weights(0), W0y_t = U.transposed(0);
    double* gW0 = gW(0);
    {
        const Layer& L0 = layer(0);
        Mat &Dbar = m_Dbar[0], &Dpbar = m_Dpbar[0];
        chunked_times(m, n, h0, cols(m_gbar), W0y, nullptr, cols(Dbar));
        Dbar.bottomRows(m) = -Dbar.topRows(m);
        chunked_times(m, n, h0, cols(m_hbar), W0y, nullptr, cols(Dpbar));
        Dpbar.bottomRows(m) = -Dpbar.topRows(m);
        m_tmp = L0.D.topRows(m) - L0.D.bottomRows(m);
        chunked_add_transpose_times(m, h0, n, cols(m_tmp), cols(m_gbar), gW0, n + 1);
        m_tmp = L0.Dp.topRows(m) - L0.Dp.bottomRows(m);
        chunked_add_transpose_times(m, h0, n, cols(m_tmp), cols(m_hbar), gW0, n + 1);
    }
    for (Index l = 0; l < H; ++l) {
        const std::size_t j = std::size_t(l);
        const Layer& cur = layer(l);
        if (l < H - 1) {
            // m_Dbar[j], m_Dpbar[j] become Bbar, Bpbar
            back_rows_reverse(cur.tau.size(), cur.tau.data(), cur.P.data(), cur.B.data(),
                              cur.Bp.data(), m_Dbar[j].data(), m_Dpbar[j].data(),
                              m_S1bar[j].data(), m_S2bar[j].data(), m_Pbar[j].data());
            const Layer& next = layer(l + 1);
            const Index hn = U.out(l + 1), hl = U.out(l);
            chunked_times(2 * m, hl, hn, cols(m_Dbar[j]), U.weights(l + 1), nullptr,
                          cols(m_Dbar[j + 1]));
            chunked_times(2 * m, hl, hn, cols(m_Dpbar[j]), U.weights(l + 1), nullptr,
                          cols(m_Dpbar[j + 1]));
            chunked_add_transpose_times(2 * m, hn, hl, cols(next.D), cols(m_Dbar[j]), gW(l + 1),
                                        hl);
            chunked_add_transpose_times(2 * m, hn, hl, cols(next.Dp), cols(m_Dpbar[j]),
                                        gW(l + 1), hl);
        } else {
            const double* wH = U.W(H);
            double* gwH = gW(H);
            for (Index c = 0; c < cur.tau.cols(); ++c)
                gwH[c] += back_rows_last_reverse(cur.tau.rows(), wH[c], &cur.tau(0, c),
                                                 &cur.P(0, c), &m_Dbar[j](0, c),
                                                 &m_Dpbar[j](0, c), &m_S1bar[j](0, c),
                                                 &m_S2bar[j](0, c), &m_Pbar[j](0, c));
        }
    }
    for (Index l = H - 1; l >= 0; --l) {
        const std::size_t j = std::size_t(l);
        const Layer& cur = layer(l);
        const double* Tbar = nullptr;
        if (l < H - 1) {
            const Index hn = U.out(l + 1), hl = U.out(l);
            chunked_add_transpose_times(2 * m, hn, hl, cols(m_Pbar[j + 1]), cols(cur.T),
                                        gW(l + 1), hl);
            chunked_add_transpose_times(2 * m, hn, hl, cols(m_Zbar[j + 1]), cols(cur.tau),
                                        gW(l + 1), hl);
            gb(l + 1) += m_Zbar[j + 1].colwise().sum();
            const nn::Weights Wn = U.transposed(l + 1);
            chunked_times(2 * m, hn, hl, cols(m_Pbar[j + 1]), Wn, nullptr, cols(m_Dpbar[j])); // Tbar
            chunked_times(2 * m, hn, hl, cols(m_Zbar[j + 1]), Wn, nullptr, cols(m_Zbar[j])); // Abar
            Tbar = m_Dpbar[j].data();
        }
        activation_reverse(cur.tau.size(), cur.tau.data(), cur.P.data(), m_S1bar[j].data(),
                           m_S2bar[j].data(), Tbar, m_Pbar[j].data(), m_Zbar[j].data());
    }
    const Mat &Zbar = m_Zbar[0], &Pbar = m_Pbar[0];
    m_tmp = Zbar.topRows(m) + Zbar.bottomRows(m);
    chunked_times(m, h0, n, cols(m_tmp), W0y_t, nullptr, cols(ybar), true);
    chunked_add_transpose_times(m, h0, n, cols(m_tmp), cols(st.y), gW0, n + 1);
    gb(0) += Zbar.colwise().sum();
    m_w0t_bar.noalias() = Zbar.topRows(m).transpose() * t;
    m_w0t_bar += Pbar.topRows(m).colwise().sum().transpose();
    for (Index i = 0; i < h0; ++i)
        gW0[i * (n + 1) + n] += m_w0t_bar(i);
    m_tmp = Pbar.topRows(m) + Pbar.bottomRows(m);
    chunked_times(m, h0, n, cols(m_tmp), W0y_t, nullptr, cols(dybar), true);
    chunked_add_transpose_times(m, h0, n, cols(m_tmp), cols(st.dy), gW0, n + 1);
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
