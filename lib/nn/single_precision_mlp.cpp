#include "nn/single_precision_mlp.hpp"

#include "core/error.hpp"

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
        m_Wt.push_back(kernel.weight(l).transpose().cast<float>());
        m_b.push_back(kernel.bias(l).cast<float>());
    }
}

SinglePrecisionMlp::SinglePrecisionMlp(const Mlp& net, const Vec& theta) : m_net(net)
{
    m_Wt.resize(std::size_t(m_net.layers()));
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
        // W_l is stored row by row (out x in), which is W_l^T column by column.
        m_Wt[k] = Eigen::Map<const Mat>(theta.data() + off, in, out).cast<float>();
        m_b[k] = theta.segment(off + in * out, out).transpose().cast<float>();
    }
}

void SinglePrecisionMlp::forward(const Mat& X, Workspace& ws, Mat& out) const
{
    check_input(m_net, X.cols());
    ws.in = X.cast<float>();
    const Index L = m_net.layers();
    for (Index l = 0; l < L; ++l) {
        const auto k = std::size_t(l);
        ws.z.noalias() = ws.in * m_Wt[k];
        ws.z.rowwise() += m_b[k];
        if (l + 1 == L)
            break;
        activation_values(m_net.activation(), ws.z, ws.a);
        ws.in.swap(ws.a);
    }
    out = ws.z.cast<double>();
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
        ws.z.noalias() = *in * m_Wt[k];
        ws.z.rowwise() += m_b[k];
        activation_and_derivative(m_net.activation(), ws.z, ws.A[k], ws.D[k]);
        in = &ws.A[k];
    }
    const auto k = std::size_t(L - 1);
    out.noalias() = *in * m_Wt[k];
    out.rowwise() += m_b[k];
}

void SinglePrecisionMlp::add_param_gradient(const MatF& abar, Workspace& ws,
                                            Eigen::Ref<Vec> grad) const
{
    if (grad.size() != m_net.num_params())
        throw std::invalid_argument("nn::SinglePrecisionMlp: gradient has the wrong size");
    // delta_L = abar, delta_l = (delta_{l+1} W_{l+1}) .* D_l; dW_l^T = A_{l-1}^T delta_l, which
    // column by column is dW_l row by row (the Mlp's layout); db_l = the column sums of delta_l.
    ws.delta = abar;
    for (Index l = m_net.layers() - 1; l >= 0; --l) {
        const auto k = std::size_t(l);
        const MatF& in = l == 0 ? *ws.X : ws.A[k - 1];
        const Index off = m_net.weight_offset(l), n_in = in.cols(), n_out = ws.delta.cols();
        ws.grad_W.noalias() = in.transpose() * ws.delta;
        Eigen::Map<Mat>(grad.data() + off, n_in, n_out) += ws.grad_W.cast<double>();
        grad.segment(off + n_in * n_out, n_out) +=
            ws.delta.colwise().sum().transpose().cast<double>();
        if (l > 0) {
            ws.next.noalias() = ws.delta * m_Wt[k].transpose();
            ws.delta = ws.next.cwiseProduct(ws.D[k - 1]);
        }
    }
}

} // namespace flowkit::nn
