#include "nn/single_precision_mlp.hpp"

#include "ad/activation_values.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

namespace flowkit::nn {

void activation_values(Activation act, const MatF& Z, MatF& A)
{
    const auto sigmoid = [](const MatF& z) { return (1.0f + (-z.array()).exp()).inverse(); };
    switch (act) {
    case Activation::Tanh:
        A.resize(Z.rows(), Z.cols());
        ad::tanh_values(Z.size(), Z.data(), A.data());
        return;
    case Activation::Sin:
        A = Z.array().sin();
        return;
    case Activation::Sigmoid:
        A = sigmoid(Z);
        return;
    case Activation::Softplus: // log(1 + e^z) = max(z, 0) + log1p(e^-|z|)
        A = Z.array().max(0.0f) + (-Z.array().abs()).exp().log1p();
        return;
    case Activation::Silu:
        A = Z.array() * sigmoid(Z);
        return;
    case Activation::Gelu: // z Phi(z)
        A = Z.unaryExpr([](float z) { return 0.5f * z * std::erfc(-z * 0.70710678f); });
        return;
    }
}

SinglePrecisionMlp::SinglePrecisionMlp(const MlpKernel& kernel) : m_net(kernel.net())
{
    for (Index l = 0; l < m_net.layers(); ++l) {
        m_Wt.push_back(kernel.weight(l).transpose().cast<float>());
        m_b.push_back(kernel.bias(l).cast<float>());
    }
}

void SinglePrecisionMlp::forward(const Mat& X, Workspace& ws, Mat& out) const
{
    if (X.cols() != m_net.input_dim())
        throw std::invalid_argument("nn::SinglePrecisionMlp: input has " +
                                    std::to_string(X.cols()) + " columns, the network takes " +
                                    std::to_string(m_net.input_dim()));
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

} // namespace flowkit::nn
