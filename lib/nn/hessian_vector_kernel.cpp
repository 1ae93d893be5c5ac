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
// Every elementwise step runs on a product's result while it is in registers (nn::paired_times
// hands over the value and the tangent rows of an entry together), so Z, [B; Bp]'s reload and
// the products of the reverse pass are never stored: in one thread, a SympFlow epoch 4-6 %
// faster in double and 8 % in float than with a pass over memory per step. The last hidden
// layer's two steps are one, forward (ActivateLast) and in reverse (ActivateLastReverse).
#include "nn/hessian_vector_kernel.hpp"

#include "ad/tanh_chunk.hpp"
#include "core/chunk.hpp"
#include "nn/narrow_products.hpp"
#include "nn/paired_products.hpp"

#include <stdexcept>
#include <string>

namespace flowkit::nn {

namespace {

// The elementwise steps, each on the chunks of one column that a paired product (nn::paired_times)
// hands over: rows [r, r + n) of column j of the top half and of the bottom half. Matrices are
// column-major, stacked ones 2m rows (the value rows on top), the others m.
// s1 = 1 - tau^2, s2 = -2 tau s1, s3 = (6 tau^2 - 2) s1.
template <class Scalar>
struct Rows
{
    Index m;
    // Entry (r, j) of a stacked matrix, of its bottom half, of an m-row one.
    template <class T> T* top(T* M, Index j, Index r) const { return M + j * 2 * m + r; }
    template <class T> T* bottom(T* M, Index j, Index r) const { return M + j * 2 * m + m + r; }
    template <class T> T* half(T* M, Index j, Index r) const { return M + j * m + r; }

    // tau (the top of AT) and P at rows [r, r + n) of column j, and tanh's derivatives there.
    struct Tanh
    {
        Chunk<Scalar> tau, P, s1, s2, s3;
    };
    Tanh tanh_at(const Scalar* AT, const Scalar* P, Index j, Index r, Index n) const
    {
        Tanh t;
        t.tau = load(top(AT, j, r), n);
        t.P = load(half(P, j, r), n);
        t.s1 = Scalar(1) - t.tau * t.tau;
        t.s2 = Scalar(-2) * t.tau * t.s1;
        t.s3 = (Scalar(6) * t.tau * t.tau - Scalar(2)) * t.s1;
        return t;
    }
};

template <class Scalar>
[[gnu::always_inline]] inline Chunk<Scalar> tanh_of(Chunk<Scalar> z)
{
    ad::tanh_chunks<Scalar, 1>(&z);
    return z;
}

// A hidden layer but the last, from [Z; P]: [tau; T] (T = s1 P) and P.
template <class Scalar>
struct Activate : Rows<Scalar>
{
    Scalar *AT, *P;
    [[gnu::always_inline]] void operator()(Index j, Index r, Index n,
                                           Chunk<Scalar> Z, Chunk<Scalar> Pv) const
    {
        const Chunk<Scalar> tau = tanh_of<Scalar>(Z);
        store(this->top(AT, j, r), tau, n);
        store(this->bottom(AT, j, r), (Scalar(1) - tau * tau) * Pv, n);
        store(this->half(P, j, r), Pv, n);
    }
};

// The last hidden layer, from [Z; P]: tau, P and [D; Dp] with B = w, Bp = 0.
template <class Scalar>
struct ActivateLast : Rows<Scalar>
{
    const Scalar* w;
    Scalar *AT, *P, *DD;
    [[gnu::always_inline]] void operator()(Index j, Index r, Index n,
                                           Chunk<Scalar> Z, Chunk<Scalar> Pv) const
    {
        const Chunk<Scalar> tau = tanh_of<Scalar>(Z);
        const Chunk<Scalar> s1 = Scalar(1) - tau * tau;
        store(this->top(AT, j, r), tau, n);
        store(this->half(P, j, r), Pv, n);
        store(this->top(DD, j, r), s1 * w[j], n);
        store(this->bottom(DD, j, r), Scalar(-2) * tau * s1 * Pv * w[j], n);
    }
};

// From [B; Bp] (kept): [D; Dp].
template <class Scalar>
struct BackRows : Rows<Scalar>
{
    const Scalar *AT, *P;
    Scalar *BB, *DD;
    [[gnu::always_inline]] void operator()(Index j, Index r, Index n,
                                           Chunk<Scalar> B, Chunk<Scalar> Bp) const
    {
        const auto [tau, Pv, s1, s2, s3] = this->tanh_at(AT, P, j, r, n);
        store(this->top(BB, j, r), B, n);
        store(this->bottom(BB, j, r), Bp, n);
        store(this->top(DD, j, r), s1 * B, n);
        store(this->bottom(DD, j, r), Scalar(-2) * tau * s1 * Pv * B + s1 * Bp, n);
    }
};

// In reverse, a hidden layer but the last, from [Dbar; Dpbar]: [S1bar; S2bar], Pbar (the bottom
// of ZPbar) and [Bbar; Bpbar] (into DDbar).
template <class Scalar>
struct BackRowsReverse : Rows<Scalar>
{
    const Scalar *AT, *P, *BB;
    Scalar *Sbar, *ZPbar, *DDbar;
    [[gnu::always_inline]] void operator()(Index j, Index r, Index n,
                                           Chunk<Scalar> db, Chunk<Scalar> dpb) const
    {
        const auto [tau, Pv, s1, s2, s3] = this->tanh_at(AT, P, j, r, n);
        const Chunk<Scalar> B = load(this->top(BB, j, r), n), Bp = load(this->bottom(BB, j, r), n);
        store(this->top(Sbar, j, r), db * B + dpb * Bp, n);
        store(this->bottom(Sbar, j, r), dpb * Pv * B, n);
        store(this->bottom(ZPbar, j, r), dpb * s2 * B, n);
        store(this->top(DDbar, j, r), dpb * s2 * Pv + db * s1, n);
        store(this->bottom(DDbar, j, r), dpb * s1, n);
    }
};

// In reverse, the last hidden layer, from [Dbar; Dpbar]: [Zbar; Pbar]; w's adjoint, the column
// sum of Bbar = Dpbar s2 P + Dbar s1, summed lane by lane into wbar (chunk_lanes per column).
template <class Scalar>
struct ActivateLastReverse : Rows<Scalar>
{
    const Scalar *w, *AT, *P;
    Scalar *ZPbar, *wbar;
    [[gnu::always_inline]] void operator()(Index j, Index r, Index n,
                                           Chunk<Scalar> db, Chunk<Scalar> dpb) const
    {
        const auto [tau, Pv, s1, s2, s3] = this->tanh_at(AT, P, j, r, n);
        Scalar* const wb = wbar + j * chunk_lanes<Scalar>;
        store(wb, load(wb) + (dpb * s2 * Pv + db * s1)); // lanes past n: db = dpb = 0
        store(this->bottom(ZPbar, j, r), dpb * s2 * w[j], n);
        store(this->top(ZPbar, j, r), db * w[j] * s2 + dpb * Pv * w[j] * s3, n);
    }
};

// In reverse, a hidden layer but the last, from [Abar; Tbar]: Zbar, and Pbar += Tbar s1.
template <class Scalar>
struct ActivationReverse : Rows<Scalar>
{
    const Scalar *AT, *P, *Sbar;
    Scalar* ZPbar;
    [[gnu::always_inline]] void operator()(Index j, Index r, Index n,
                                           Chunk<Scalar> Abar, Chunk<Scalar> Tbar) const
    {
        const auto [tau, Pv, s1, s2, s3] = this->tanh_at(AT, P, j, r, n);
        Scalar* const pbar = this->bottom(ZPbar, j, r);
        store(pbar, load(pbar, n) + Tbar * s1, n);
        store(this->top(ZPbar, j, r),
              Abar * s1 + (load(this->top(Sbar, j, r), n) + Tbar * Pv) * s2 +
                  load(this->bottom(Sbar, j, r), n) * s3,
              n);
    }
};

// Weights of a layer read for in W^T (forward) and for delta W (back).
template <class Scalar, class Matrix>
BasicWeights<Scalar> transposed(const Matrix& W)
{
    return {W.data(), 1, W.rows()};
}
template <class Scalar, class Matrix>
BasicWeights<Scalar> as_is(const Matrix& W)
{
    return {W.data(), W.rows(), 1};
}
template <class Matrix>
auto columns_of(const Matrix& M)
{
    return BasicConstColumns<typename Matrix::Scalar>{M.data(), M.rows()};
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
    if (ws.rows == m && ws.P.size() == std::size_t(m_hidden))
        return;
    for (auto* v : {&ws.P, &ws.AT, &ws.BB, &ws.DD})
        v->resize(std::size_t(m_hidden));
    for (Index l = 0; l < m_hidden; ++l) {
        const std::size_t k = std::size_t(l);
        const Index h = m_W[k].rows();
        ws.P[k].resize(m, h);
        for (Matrix* M : {&ws.AT[k], &ws.DD[k]})
            M->resize(2 * m, h);
        if (l + 1 < m_hidden) // the last hidden layer has B = w, Bp = 0
            ws.BB[k].resize(2 * m, h);
    }
    ws.rows = m;
}

template <class Scalar>
void BasicHessianVectorKernel<Scalar>::shape(Index m, ReverseWorkspace& rs) const
{
    for (auto* v : {&rs.DDbar, &rs.Sbar, &rs.ZPbar})
        v->resize(std::size_t(m_hidden));
    for (Index l = 0; l < m_hidden; ++l) {
        const std::size_t k = std::size_t(l);
        const Index h = m_W[k].rows();
        rs.ZPbar[k].resize(2 * m, h);
        if (l + 1 < m_hidden) { // the last goes from its product to [Zbar; Pbar] directly
            rs.DDbar[k].resize(2 * m, h);
            rs.Sbar[k].resize(2 * m, h);
        }
    }
    rs.wbar.resize(chunk_lanes<Scalar>, m_W[std::size_t(m_hidden - 1)].rows());
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
        const Matrix& W = m_W[k];
        const BasicConstColumns<Scalar> in = columns_of(l == 0 ? ws.in : ws.AT[k - 1]);
        if (l < H - 1) {
            Activate<Scalar> step{{m}, ws.AT[k].data(), ws.P[k].data()};
            paired_times(m, W.cols(), W.rows(), in, transposed<Scalar>(W), step, m_b[k].data());
        } else {
            ActivateLast<Scalar> step{{m}, m_W[k + 1].data(), ws.AT[k].data(), ws.P[k].data(),
                                      ws.DD[k].data()};
            paired_times(m, W.cols(), W.rows(), in, transposed<Scalar>(W), step, m_b[k].data());
        }
    }
    for (Index l = H - 2; l >= 0; --l) {
        const std::size_t k = std::size_t(l);
        const Matrix& W = m_W[k + 1];
        BackRows<Scalar> step{{m}, ws.AT[k].data(), ws.P[k].data(), ws.BB[k].data(),
                              ws.DD[k].data()};
        paired_times(m, W.rows(), W.cols(), columns_of(ws.DD[k + 1]), as_is<Scalar>(W),
                     step);
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
    shape(m, rs);
    auto gW = [&](Index l) {
        const Matrix& W = m_W[std::size_t(l)];
        return Eigen::Map<RowMajorMat>(grad.data() + m_net.weight_offset(l), W.rows(), W.cols());
    };
    auto gb = [&](Index l) {
        const Matrix& W = m_W[std::size_t(l)];
        return grad.segment(m_net.weight_offset(l) + W.size(), W.rows());
    };

    // Ascending: [Dbar; Dpbar]_l = (GHbar or [Bbar; Bpbar]_{l-1}) W_l^T, stepped at once into
    // layer l's adjoints. Each weight's gradient has a term from the [D; Dp] rows and one from
    // the [Z; P] rows; both are added in the descending loop, in one product.
    rs.wbar.setZero();
    for (Index l = 0; l < H; ++l) {
        const std::size_t k = std::size_t(l);
        const Matrix& W = m_W[k];
        const BasicConstColumns<Scalar> in = columns_of(l == 0 ? GHbar : rs.DDbar[k - 1]);
        if (l < H - 1) {
            BackRowsReverse<Scalar> step{{m}, ws.AT[k].data(), ws.P[k].data(), ws.BB[k].data(),
                                         rs.Sbar[k].data(), rs.ZPbar[k].data(),
                                         rs.DDbar[k].data()};
            paired_times(m, W.cols(), W.rows(), in, transposed<Scalar>(W), step);
        } else {
            ActivateLastReverse<Scalar> step{{m}, m_W[k + 1].data(), ws.AT[k].data(),
                                             ws.P[k].data(), rs.ZPbar[k].data(), rs.wbar.data()};
            paired_times(m, W.cols(), W.rows(), in, transposed<Scalar>(W), step);
            for (Index c = 0; c < W.rows(); ++c)
                gW(H)(0, c) += double(sum_lanes<Scalar>(load(&rs.wbar(0, c))));
        }
    }
    // Descending: [Abar; Tbar]_l = [Zbar; Pbar]_{l+1} W_{l+1}, stepped at once into [Zbar; Pbar]_l.
    for (Index l = H - 2; l >= 0; --l) {
        const std::size_t k = std::size_t(l);
        const Matrix& W = m_W[k + 1];
        const Matrix& ZPbar = rs.ZPbar[k + 1];
        ActivationReverse<Scalar> step{{m}, ws.AT[k].data(), ws.P[k].data(), rs.Sbar[k].data(),
                                       rs.ZPbar[k].data()};
        paired_times(m, W.rows(), W.cols(), columns_of(ZPbar), as_is<Scalar>(W),
                     step);
        add_outer(ws.DD[k + 1], rs.DDbar[k], ZPbar, ws.AT[k], gW(l + 1));
        gb(l + 1) += ZPbar.topRows(m).colwise().sum().transpose().template cast<double>();
    }
    const Matrix& ZPbar = rs.ZPbar[0];
    add_outer(ws.DD[0], GHbar, ZPbar, ws.in, gW(0));
    gb(0) += ZPbar.topRows(m).colwise().sum().transpose().template cast<double>();
    if (XVbar)
        back_through(ZPbar, m_W[0], *XVbar);
}

template class BasicHessianVectorKernel<double>;
template class BasicHessianVectorKernel<float>;

} // namespace flowkit::nn
