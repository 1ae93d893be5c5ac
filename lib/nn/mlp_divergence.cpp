#include "nn/mlp_divergence.hpp"

#include "nn/narrow_products.hpp"

#include <stdexcept>

namespace flowkit::nn {

MlpDivergence::MlpDivergence(const MlpKernel& kernel)
    : m_kernel(kernel), m_d(kernel.net().output_dim()), m_hidden(kernel.net().layers() - 1)
{
    if (kernel.net().input_dim() < m_d)
        throw std::invalid_argument("nn::MlpDivergence: the network has fewer inputs than outputs");
}

void MlpDivergence::forward(const Mat& U, const Mat* probes, Workspace& ws, Mat& out,
                            Vec& div) const
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
    const Mat* in = &U;
    for (std::size_t l = 0; l < h; ++l) {
        affine(*in, m_kernel.weight(Index(l)), m_kernel.bias(Index(l)), ws.Z[l]);
        activation_and_derivative(m_kernel.net().activation(), ws.Z[l], ws.A[l], ws.D[l]);
        activation_second_derivative(m_kernel.net().activation(), ws.Z[l], ws.A[l], ws.D[l],
                                     ws.D2[l]);
        in = &ws.A[l];
    }
    affine(*in, m_kernel.weight(H), m_kernel.bias(H), out);

    const std::size_t K = probes ? 1 : std::size_t(d);
    ws.V.resize(K);
    ws.S.resize(K);
    ws.T.resize(K);
    div.setZero(n);
    for (std::size_t k = 0; k < K; ++k) {
        Mat& V = ws.V[k];
        if (probes) {
            V = *probes;
        } else {
            V.setZero(n, d);
            V.col(Index(k)).setOnes();
        }
        ws.S[k].resize(h);
        ws.T[k].resize(h);
        const Mat* t = &V;
        for (std::size_t l = 0; l < h; ++l) {
            times_transpose(*t, m_kernel.weight(Index(l)), ws.S[k][l]);
            ws.T[k][l] = ws.D[l].cwiseProduct(ws.S[k][l]);
            t = &ws.T[k][l];
        }
        times_transpose(*t, m_kernel.weight(H), ws.next); // (dN/dx) p_k
        div += ws.next.cwiseProduct(V).rowwise().sum();
    }
}

void MlpDivergence::backward(const Mat& outbar, const Vec& divbar, const Vec* w, Workspace& ws,
                             Mat* ubar, Eigen::Ref<Vec> grad) const
{
    const Mlp& net = m_kernel.net();
    const Index H = m_hidden, n = outbar.rows(), d = m_d;
    const bool params = grad.size() > 0;
    if (params && grad.size() != net.num_params())
        throw std::invalid_argument("nn::MlpDivergence: gradient has the wrong size");
    const auto weights_grad = [&](Index l) {
        const Mat& W = m_kernel.weight(l);
        return Eigen::Map<RowMajorMat>(grad.data() + net.weight_offset(l), W.rows(), W.cols());
    };
    const auto weighed = [&](const Mat& m) -> const Mat& {
        if (!w)
            return m;
        ws.weighted = w->asDiagonal() * m;
        return ws.weighted;
    };

    // The divergence's reverse, probe by probe: from d out_k = divbar .* p_k back through the
    // tangent pass, collecting Dbar_l = d div / d act'(Z_l).
    ws.Dbar.resize(std::size_t(H));
    for (Index l = 0; l < H; ++l)
        ws.Dbar[std::size_t(l)].setZero(n, m_kernel.weight(l).rows());
    for (std::size_t k = 0; k < ws.V.size(); ++k) {
        const Mat& V = ws.V[k];
        ws.outer = divbar.asDiagonal() * V;
        if (H == 0) {
            if (params)
                add_outer(weighed(ws.outer), V, weights_grad(0).leftCols(d));
            continue;
        }
        if (params)
            add_outer(weighed(ws.outer), ws.T[k][std::size_t(H - 1)], weights_grad(H));
        back_through(ws.outer, m_kernel.weight(H), ws.delta); // Tbar_{H-1}
        for (Index l = H - 1; l >= 0; --l) {
            const auto j = std::size_t(l);
            ws.Dbar[j] += ws.delta.cwiseProduct(ws.S[k][j]);
            ws.next = ws.delta.cwiseProduct(ws.D[j]); // Sbar_l
            if (l > 0) {
                if (params)
                    add_outer(weighed(ws.next), ws.T[k][j - 1], weights_grad(l));
                back_through(ws.next, m_kernel.weight(l), ws.delta);
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
            const Mat& in = l == 0 ? *ws.U : ws.A[j - 1];
            const Mat& dz = weighed(ws.delta);
            add_outer(dz, in, weights_grad(l));
            const Index off = net.weight_offset(l) + m_kernel.weight(l).size();
            grad.segment(off, dz.cols()) += dz.colwise().sum().transpose();
        }
        if (l > 0) {
            back_through(ws.delta, m_kernel.weight(l), ws.next);
            ws.delta = ws.next.cwiseProduct(ws.D[j - 1]) + ws.Dbar[j - 1].cwiseProduct(ws.D2[j - 1]);
        } else if (ubar) {
            back_through(ws.delta, m_kernel.weight(0), *ubar);
        }
    }
}

void MlpDivergence::tangent(const Mat& V, Workspace& ws, Mat& out, Vec& ddiv) const
{
    const Index H = m_hidden;
    const auto h = std::size_t(H);
    // R_l = dZ_l along V; the probes' tangents then move by
    // dT_l = act''(Z_l) .* R_l .* S_l + act'(Z_l) .* dS_l, dS_{l+1} = dT_l W_{l+1}^T.
    std::vector<Mat> R(h);
    Mat a;
    const Mat* in = &V;
    for (std::size_t l = 0; l < h; ++l) {
        times_transpose(*in, m_kernel.weight(Index(l)), R[l]);
        a = ws.D[l].cwiseProduct(R[l]);
        in = &a;
    }
    times_transpose(*in, m_kernel.weight(H), out);
    ddiv.setZero(V.rows());
    if (H == 0)
        return;
    Mat dT, dS;
    for (std::size_t k = 0; k < ws.V.size(); ++k) {
        for (std::size_t l = 0; l < h; ++l) {
            Mat next = ws.D2[l].cwiseProduct(R[l]).cwiseProduct(ws.S[k][l]);
            if (l > 0) {
                times_transpose(dT, m_kernel.weight(Index(l)), dS);
                next += ws.D[l].cwiseProduct(dS);
            }
            dT = std::move(next);
        }
        times_transpose(dT, m_kernel.weight(H), dS);
        ddiv += dS.cwiseProduct(ws.V[k]).rowwise().sum();
    }
}

} // namespace flowkit::nn
