// The fused SympFlow residual. Shapes: m rows (samples), n = dim/2.
//
// Step k's potential U reads y (q for V, even k; p for K, odd k) and its tangent dy. Its
// increment g = grad_y U(t, y) - grad_y U(0, y) and the increment's time derivative
// hv = [Hess U(t, y)(dy, 1) - Hess U(0, y)(dy, 0)]_y come from one nn::HessianVectorKernel pass
// over the stacked input X = [y, t; y, 0] along V = [dy, 1; dy, 0] (2m rows): with its output
// [G; HV] (4m rows), g = G_t - G_0 and hv = HV_t - HV_0 in the first n columns.
//
// The flow: for k = 0 .. 2L-1, V moves p <- p - g, dp <- dp - hv; K moves q <- q + g,
// dq <- dq + hv. With R = dN - F(t, N), S = |R|^2:
//   dS/d(dN) = 2R,  dS/dN = -(dF/dN)^T 2R (the System's vjp); then back through the steps: a
// step's target keeps its adjoint, gbar = sign * zbar, hbar = sign * dzbar, the potential's
// reverse pass takes [Gbar; Hbar] = [gbar, 0; -gbar, 0; hbar, 0; -hbar, 0] and gives [Xbar; Vbar],
// whose y columns (at t plus at 0) add into the adjoints of the coordinate it reads.
#include "models/sympflow_fused.hpp"

#include <stdexcept>
#include <string>

namespace flowkit::models {

template <class Scalar>
bool BasicSympflowResidualKernel<Scalar>::supports(const Sympflow& net)
{
    return net.arch().activation == nn::Activation::Tanh && !net.arch().hidden.empty();
}

template <class Scalar>
BasicSympflowResidualKernel<Scalar>::BasicSympflowResidualKernel(const Sympflow& net)
    : m_net(net), m_n(net.arch().half())
{
    if (!supports(net))
        throw std::invalid_argument(std::string("models::SympflowResidualKernel: needs tanh and a "
                                                "hidden layer, not ") +
                                    nn::activation_name(net.arch().activation) + " with " +
                                    std::to_string(net.arch().hidden.size()) + " hidden layers");
    const nn::Mlp& U = net.potential();
    const std::size_t steps = std::size_t(2 * net.arch().layers);
    m_potentials.assign(steps, Potential(U, Vec::Zero(U.num_params())));
    m_workspaces.resize(steps);
}

template <class Scalar>
void BasicSympflowResidualKernel<Scalar>::shape(Index m)
{
    if (m == m_rows)
        return;
    const Index n = m_n;
    for (Matrix* M : {&m_X, &m_V})
        M->resize(2 * m, n + 1);
    for (Matrix* M : {&m_GHbar, &m_XVbar})
        M->resize(4 * m, n + 1);
    for (Matrix* M : {&m_q, &m_p, &m_dq, &m_dp, &m_g, &m_hv, &m_gbar, &m_hbar, &m_qbar, &m_pbar,
                      &m_dqbar, &m_dpbar})
        M->resize(m, n);
    for (Mat* M : {&m_N, &m_dN, &m_F, &m_Nbar})
        M->resize(m, 2 * n);
    m_rows = m;
}

template <class Scalar>
void BasicSympflowResidualKernel<Scalar>::potential_forward(Index k, const Matrix& y,
                                                            const Matrix& dy)
{
    const Index m = m_rows, n = m_n;
    m_X.topRows(m) << y, m_ts;
    m_X.bottomRows(m) << y, Vector::Zero(m);
    m_V.topRows(m) << dy, Vector::Ones(m);
    m_V.bottomRows(m) << dy, Vector::Zero(m);
    typename Potential::Workspace& ws = m_workspaces[std::size_t(k)];
    m_potentials[std::size_t(k)].forward(m_X, m_V, ws);
    m_g = ws.out.block(0, 0, m, n) - ws.out.block(m, 0, m, n);
    m_hv = ws.out.block(2 * m, 0, m, n) - ws.out.block(3 * m, 0, m, n);
}

template <class Scalar>
void BasicSympflowResidualKernel<Scalar>::forward(const Vec& theta,
                                                  const Eigen::Ref<const Vec>& t,
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
    const Index m = x0.rows(), n = m_n, P = m_net.potential().num_params();
    shape(m);
    m_t = t;
    m_ts = t.template cast<Scalar>();
    m_q = x0.leftCols(n).template cast<Scalar>();
    m_p = x0.rightCols(n).template cast<Scalar>();
    m_dq.setZero();
    m_dp.setZero();
    for (Index k = 0; k < Index(m_potentials.size()); ++k) {
        m_potentials[std::size_t(k)].set_params(theta.segment(k * P, P));
        if (k % 2 == 0) { // V: p <- p - g
            potential_forward(k, m_q, m_dq);
            m_p -= m_g;
            m_dp -= m_hv;
        } else { // K: q <- q + g
            potential_forward(k, m_p, m_dp);
            m_q += m_g;
            m_dq += m_hv;
        }
    }
    m_N << m_q.template cast<double>(), m_p.template cast<double>();
    m_dN << m_dq.template cast<double>(), m_dp.template cast<double>();
}

template <class Scalar>
void BasicSympflowResidualKernel<Scalar>::flow(const Vec& theta, const Eigen::Ref<const Vec>& t,
                                               const Eigen::Ref<const Mat>& x0, Mat& N,
                                               Mat& dNdt)
{
    forward(theta, t, x0);
    N = m_N;
    dNdt = m_dN;
}

template <class Scalar>
void BasicSympflowResidualKernel<Scalar>::potential_reverse(Index k, Matrix& ybar, Matrix& dybar,
                                                            Vec& grad)
{
    const Index m = m_rows, n = m_n, P = m_net.potential().num_params();
    m_GHbar.col(n).setZero();
    m_GHbar.block(0, 0, m, n) = m_gbar;
    m_GHbar.block(m, 0, m, n) = -m_gbar;
    m_GHbar.block(2 * m, 0, m, n) = m_hbar;
    m_GHbar.block(3 * m, 0, m, n) = -m_hbar;
    m_potentials[std::size_t(k)].reverse(m_GHbar, m_workspaces[std::size_t(k)], m_reverse,
                                         grad.segment(k * P, P), &m_XVbar);
    ybar += m_XVbar.block(0, 0, m, n) + m_XVbar.block(m, 0, m, n);
    dybar += m_XVbar.block(2 * m, 0, m, n) + m_XVbar.block(3 * m, 0, m, n);
}

template <class Scalar>
double BasicSympflowResidualKernel<Scalar>::residual(const ode::System& system,
                                                     const Vec& theta,
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
    m_qbar = -m_Nbar.leftCols(n).template cast<Scalar>();
    m_pbar = -m_Nbar.rightCols(n).template cast<Scalar>();
    m_dqbar = m_F.leftCols(n).template cast<Scalar>();
    m_dpbar = m_F.rightCols(n).template cast<Scalar>();
    for (Index k = Index(m_potentials.size()) - 1; k >= 0; --k) {
        if (k % 2 == 0) { // p <- p - g(q)
            m_gbar = -m_pbar;
            m_hbar = -m_dpbar;
            potential_reverse(k, m_qbar, m_dqbar, *grad);
        } else { // q <- q + g(p)
            m_gbar = m_qbar;
            m_hbar = m_dqbar;
            potential_reverse(k, m_pbar, m_dpbar, *grad);
        }
    }
    return S;
}

template class BasicSympflowResidualKernel<double>;
template class BasicSympflowResidualKernel<float>;

} // namespace flowkit::models
