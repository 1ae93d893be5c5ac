#include "nn/single_precision_mlp.hpp"

#include "core/error.hpp"
#include "nn/narrow_products.hpp"

#include <stdexcept>

namespace flowkit::nn {

namespace {

void check_input(const Mlp& net, Index cols)
{
    if (cols != net.input_dim())
        throw std::invalid_argument("nn::SinglePrecisionMlp: input has " + std::to_string(cols) +
                                    " columns, the network takes " +
                                    std::to_string(net.input_dim()));
}

} // namespace

Precision parse_precision(const std::string& name)
{
    if (name == "double")
        return Precision::double_precision;
    if (name == "single")
        return Precision::single_precision;
    throw UsageError("--precision must be double or single (got '" + name + "')");
}

SinglePrecisionMlp::SinglePrecisionMlp(const MlpKernel& kernel) : m_net(kernel.net())
{
    for (Index l = 0; l < m_net.layers(); ++l) {
        m_W.push_back(kernel.weight(l).cast<float>());
        m_b.push_back(kernel.bias(l).cast<float>());
    }
}

SinglePrecisionMlp::SinglePrecisionMlp(const Mlp& net, const Vec& theta) : m_net(net)
{
    m_W.resize(std::size_t(m_net.layers()));
    m_b.resize(std::size_t(m_net.layers()));
    set_params(theta);
}

void SinglePrecisionMlp::set_params(const Vec& theta)
{
    if (theta.size() != m_net.num_params())
        throw std::invalid_argument("nn::SinglePrecisionMlp: theta has the wrong size");
    for (Index l = 0; l < m_net.layers(); ++l) {
        const auto k = std::size_t(l);
        const Index in = m_net.widths()[k], out = m_net.widths()[k + 1];
        const Index off = m_net.weight_offset(l);
        m_W[k] = Eigen::Map<const RowMajorMat>(theta.data() + off, out, in).cast<float>();
        m_b[k] = theta.segment(off + in * out, out).transpose().cast<float>();
    }
}

void SinglePrecisionMlp::forward(const Mat& X, Workspace& ws, Mat& out) const
{
    check_input(m_net, X.cols());
    ws.in = X.cast<float>();
    const Index L = m_net.layers();
    ws.A.resize(std::size_t(L - 1));
    const MatF* in = &ws.in;
    for (Index l = 0; l + 1 < L; ++l) {
        const auto k = std::size_t(l);
        affine(*in, m_W[k], m_b[k], ws.z);
        activation_values(m_net.activation(), ws.z, ws.A[k]);
        in = &ws.A[k];
    }
    const auto k = std::size_t(L - 1);
    affine(*in, m_W[k], m_b[k], ws.out);
    out = ws.out.cast<double>();
}

void SinglePrecisionMlp::forward_for_gradient(const MatF& X, Workspace& ws, MatF& out) const
{
    check_input(m_net, X.cols());
    const Index L = m_net.layers();
    ws.A.resize(std::size_t(L - 1));
    ws.D.resize(std::size_t(L - 1));
    ws.X = &X;
    const MatF* in = &X;
    for (Index l = 0; l + 1 < L; ++l) {
        const auto k = std::size_t(l);
        affine(*in, m_W[k], m_b[k], ws.z);
        activation_and_derivative(m_net.activation(), ws.z, ws.A[k], ws.D[k]);
        in = &ws.A[k];
    }
    const auto k = std::size_t(L - 1);
    affine(*in, m_W[k], m_b[k], out);
}

void SinglePrecisionMlp::backward(const MatF& abar, const VecF* w, Workspace& ws, MatF* xbar,
                                  Eigen::Ref<Vec> grad) const
{
    const bool params = grad.size() > 0;
    if (params && grad.size() != m_net.num_params())
        throw std::invalid_argument("nn::SinglePrecisionMlp: gradient has the wrong size");
    // delta_L = abar, delta_l = (delta_{l+1} W_{l+1}) .* D_l; dW_l = delta_l^T diag(w) A_{l-1}
    // (row by row in the Mlp's layout), db_l = delta_l^T w. Each layer has its own delta (no
    // reallocation between calls).
    const Index L = m_net.layers();
    ws.deltas.resize(std::size_t(L));
    ws.weighted.resize(std::size_t(L));
    const MatF* delta = &abar;
    for (Index l = L - 1; l >= 0; --l) {
        const auto k = std::size_t(l);
        if (params) {
            const MatF& in = l == 0 ? *ws.X : ws.A[k - 1];
            const MatF* d = delta;
            if (w) {
                ws.weighted[k] = w->asDiagonal() * *delta;
                d = &ws.weighted[k];
            }
            const Index off = m_net.weight_offset(l), n_in = in.cols(), n_out = d->cols();
            add_outer(*d, in, Eigen::Map<RowMajorMat>(grad.data() + off, n_out, n_in));
            grad.segment(off + n_in * n_out, n_out) +=
                d->colwise().sum().transpose().cast<double>();
        }
        if (l > 0) {
            back_through(*delta, m_W[k], ws.next);
            ws.deltas[k - 1] = ws.next.cwiseProduct(ws.D[k - 1]);
            delta = &ws.deltas[k - 1];
        } else if (xbar) {
            back_through(*delta, m_W[k], *xbar);
        }
    }
}

} // namespace flowkit::nn
