#include "models/pinn_stepper.hpp"

#include "io/table.hpp"

#include <stdexcept>

namespace flowkit::models {

PinnStepper::PinnStepper(std::shared_ptr<const Pinn> pinn, Vec theta, Vec k)
    : m_pinn(std::move(pinn)), m_theta(std::move(theta)), m_k(std::move(k))
{
    if (m_k.size() != m_pinn->arch().num_inputs_params())
        throw std::invalid_argument("models::PinnStepper: " + std::to_string(m_k.size()) +
                                    " parameter values for a network of " +
                                    std::to_string(m_pinn->arch().num_inputs_params()));
    if (m_theta.size() != m_pinn->num_params())
        throw std::invalid_argument("models::PinnStepper: " + std::to_string(m_theta.size()) +
                                    " parameters for a network of " +
                                    std::to_string(m_pinn->num_params()));
}

void PinnStepper::step(const Vec& t, const Vec& h, Mat& x)
{
    const PinnArchitecture& a = m_pinn->arch();
    if (m_keep_dense) {
        m_start = x;
        m_t = t;
        m_h = h;
    }
    if (a.mode == PinnMode::ivp) {
        m_pinn->evaluate(m_theta, t + h, Mat(), m_next, m_k.transpose().replicate(t.size(), 1));
    } else {
        // a step may exceed dt by rounding only (the integrate loop's last step lands on T)
        if (h.size() > 0 && h.maxCoeff() > a.span * (1 + 1e-12))
            throw std::invalid_argument("models::PinnStepper: step " +
                                        io::format_number(h.maxCoeff()) +
                                        " is longer than the model's dt " +
                                        io::format_number(a.span));
        m_pinn->evaluate(m_theta, h, x, m_next, m_k.transpose().replicate(x.rows(), 1));
    }
    x = m_next;
    m_evaluations += x.rows();
}

void PinnStepper::dense(const std::vector<Index>& rows, const Vec& theta, Mat& out) const
{
    const Index n = Index(rows.size());
    Vec s(n);
    Mat x0(n, m_start.cols());
    for (Index k = 0; k < n; ++k) {
        const Index r = rows[std::size_t(k)];
        s(k) = theta(k) * m_h(r);
        x0.row(k) = m_start.row(r);
        if (m_pinn->arch().mode == PinnMode::ivp)
            s(k) += m_t(r);
    }
    m_pinn->evaluate(m_theta, s, m_pinn->arch().mode == PinnMode::ivp ? Mat() : x0, out,
                     m_k.transpose().replicate(n, 1));
    m_evaluations += n;
}

} // namespace flowkit::models
