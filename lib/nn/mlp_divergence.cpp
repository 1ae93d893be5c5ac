#include "nn/mlp_divergence.hpp"

#include "nn/narrow_products.hpp"

#include <stdexcept>
#include <type_traits>

namespace flowkit::nn {

template <class Scalar>
BasicMlpDivergence<Scalar>::BasicMlpDivergence(const MlpKernel& kernel)
    : m_kernel(kernel), m_d(kernel.net().output_dim()), m_hidden(kernel.net().layers() - 1)
{
    if (kernel.net().input_dim() < m_d)
        throw std::invalid_argument("nn::MlpDivergence: the network has fewer inputs than outputs");
    read_weights();
}

template <class Scalar>
void BasicMlpDivergence<Scalar>::read_weights()
{
    if constexpr (!std::is_same_v<Scalar, double>) {
        m_W.resize(std::size_t(m_hidden + 1));
        m_b.resize(std::size_t(m_hidden + 1));
        for (Index l = 0; l <= m_hidden; ++l) {
            m_W[std::size_t(l)] = m_kernel.weight(l).template cast<Scalar>();
            m_b[std::size_t(l)] = m_kernel.bias(l).template cast<Scalar>();
        }
    }
}

template <class Scalar>
auto BasicMlpDivergence<Scalar>::weight(Index l) const -> const MatS&
{
    if constexpr (std::is_same_v<Scalar, double>)
        return m_kernel.weight(l);
    else
        return m_W[std::size_t(l)];
}

template <class Scalar>
auto BasicMlpDivergence<Scalar>::bias(Index l) const
    -> const Eigen::Matrix<Scalar, 1, Eigen::Dynamic>&
{
    if constexpr (std::is_same_v<Scalar, double>)
        return m_kernel.bias(l);
    else
        return m_b[std::size_t(l)];
}

template <class Scalar>
void BasicMlpDivergence<Scalar>::forward(const MatS& U, const MatS* probes, Workspace& ws,
                                         MatS& out, VecS& div) const
{
    const Index H = m_hidden, n = U.rows(), d = m_d;
    if (U.cols() != m_kernel.net().input_dim() || (probes && (probes->rows() != n ||
                                                              probes->cols() != d)))
        throw std::invalid_argument("nn::MlpDivergence: input or probes of the wrong shape");
    const auto h = std::size_t(H);
    ws.U = &U;
    ws.Z.resize(h);
    ws.A.resize(h);
    ws.D.resize(h);
    ws.D2.resize(h);
    const MatS* in = &U;
    for (std::size_t l = 0; l < h; ++l) {
        affine(*in, weight(Index(l)), bias(Index(l)), ws.Z[l]);
        activation_and_derivative(m_kernel.net().activation(), ws.Z[l], ws.A[l], ws.D[l]);
        activation_second_derivative(m_kernel.net().activation(), ws.Z[l], ws.A[l], ws.D[l],
                                     ws.D2[l]);
        in = &ws.A[l];
    }
    affine(*in, weight(H), bias(H), out);

    const std::size_t K = probes ? 1 : std::size_t(d);
    ws.V.resize(K);
    ws.S.resize(K);
    ws.T.resize(K);
    div.setZero(n);
    for (std::size_t k = 0; k < K; ++k) {
        MatS& V = ws.V[k];
        if (probes) {
            V = *probes;
        } else {
            V.setZero(n, d);
            V.col(Index(k)).setOnes();
        }
        ws.S[k].resize(h);
        ws.T[k].resize(h);
        const MatS* t = &V;
        for (std::size_t l = 0; l < h; ++l) {
            times_transpose(*t, weight(Index(l)), ws.S[k][l]);
            ws.T[k][l] = ws.D[l].cwiseProduct(ws.S[k][l]);
            t = &ws.T[k][l];
        }
        times_transpose(*t, weight(H), ws.next); // (dN/dx) p_k
        div += ws.next.cwiseProduct(V).rowwise().sum();
    }
}

template <class Scalar>
void BasicMlpDivergence<Scalar>::backward(const MatS& outbar, const VecS& divbar, const VecS* w,
                                          Workspace& ws, MatS* ubar, Eigen::Ref<Vec> grad) const
{
    const Mlp& net = m_kernel.net();
    const Index H = m_hidden, n = outbar.rows(), d = m_d;
    const bool params = grad.size() > 0;
    if (params && grad.size() != net.num_params())
        throw std::invalid_argument("nn::MlpDivergence: gradient has the wrong size");
    const auto weights_grad = [&](Index l) {
        const MatS& W = weight(l);
        return Eigen::Map<RowMajorMat>(grad.data() + net.weight_offset(l), W.rows(), W.cols());
    };
    const auto weighed = [&](const MatS& m) -> const MatS& {
        if (!w)
            return m;
        ws.weighted = w->asDiagonal() * m;
        return ws.weighted;
    };

    // The divergence's reverse, probe by probe: from d out_k = divbar .* p_k back through the
    // tangent pass, collecting Dbar_l = d div / d act'(Z_l).
    ws.Dbar.resize(std::size_t(H));
    for (Index l = 0; l < H; ++l)
        ws.Dbar[std::size_t(l)].setZero(n, weight(l).rows());
    for (std::size_t k = 0; k < ws.V.size(); ++k) {
        const MatS& V = ws.V[k];
        ws.outer = divbar.asDiagonal() * V;
        if (H == 0) {
            if (params)
                add_outer(weighed(ws.outer), V, weights_grad(0).leftCols(d));
            continue;
        }
        if (params)
            add_outer(weighed(ws.outer), ws.T[k][std::size_t(H - 1)], weights_grad(H));
        back_through(ws.outer, weight(H), ws.delta); // Tbar_{H-1}
        for (Index l = H - 1; l >= 0; --l) {
            const auto j = std::size_t(l);
            ws.Dbar[j] += ws.delta.cwiseProduct(ws.S[k][j]);
            ws.next = ws.delta.cwiseProduct(ws.D[j]); // Sbar_l
            if (l > 0) {
                if (params)
                    add_outer(weighed(ws.next), ws.T[k][j - 1], weights_grad(l));
                back_through(ws.next, weight(l), ws.delta);
            } else if (params) {
                add_outer(weighed(ws.next), V, weights_grad(0).leftCols(d));
            }
        }
    }

    // The network's reverse, with d div / dZ_l = Dbar_l .* act''(Z_l) joining at each layer.
    ws.delta = outbar;
    for (Index l = H; l >= 0; --l) {
        const auto j = std::size_t(l);
        if (params) {
            const MatS& in = l == 0 ? *ws.U : ws.A[j - 1];
            const MatS& dz = weighed(ws.delta);
            add_outer(dz, in, weights_grad(l));
            const Index off = net.weight_offset(l) + weight(l).size();
            grad.segment(off, dz.cols()) += dz.colwise().sum().transpose().template cast<double>();
        }
        if (l > 0) {
            back_through(ws.delta, weight(l), ws.next);
            ws.delta = ws.next.cwiseProduct(ws.D[j - 1]) + ws.Dbar[j - 1].cwiseProduct(ws.D2[j - 1]);
        } else if (ubar) {
            back_through(ws.delta, weight(0), *ubar);
        }
    }
}

template <class Scalar>
void BasicMlpDivergence<Scalar>::tangent(const MatS& V, Workspace& ws, MatS& out,
                                         VecS& ddiv) const
{
    const Index H = m_hidden;
    const auto h = std::size_t(H);
    // R_l = dZ_l along V; the probes' tangents then move by
    // dT_l = act''(Z_l) .* R_l .* S_l + act'(Z_l) .* dS_l, dS_{l+1} = dT_l W_{l+1}^T.
    std::vector<MatS> R(h);
    MatS a;
    const MatS* in = &V;
    for (std::size_t l = 0; l < h; ++l) {
        times_transpose(*in, weight(Index(l)), R[l]);
        a = ws.D[l].cwiseProduct(R[l]);
        in = &a;
    }
    times_transpose(*in, weight(H), out);
    ddiv.setZero(V.rows());
    if (H == 0)
        return;
    MatS dT, dS;
    for (std::size_t k = 0; k < ws.V.size(); ++k) {
        for (std::size_t l = 0; l < h; ++l) {
            MatS next = ws.D2[l].cwiseProduct(R[l]).cwiseProduct(ws.S[k][l]);
            if (l > 0) {
                times_transpose(dT, weight(Index(l)), dS);
                next += ws.D[l].cwiseProduct(dS);
            }
            dT = std::move(next);
        }
        times_transpose(dT, weight(H), dS);
        ddiv += dS.cwiseProduct(ws.V[k]).rowwise().sum();
    }
}

template class BasicMlpDivergence<double>;
template class BasicMlpDivergence<float>;

} // namespace flowkit::nn
