#include "models/flow_map_stepper.hpp"

#include "io/table.hpp"

#include <stdexcept>

namespace flowkit::models {

FlowMapStepper::FlowMapStepper(std::string name, Map map, double max_step)
    : m_name(std::move(name)), m_map(std::move(map)), m_max_step(max_step)
{
}

void FlowMapStepper::step(const Vec& t, const Vec& h, Mat& x)
{
    // a step may exceed the longest by rounding only (the integrate loop's last step lands on T)
    if (h.size() > 0 && h.maxCoeff() > m_max_step * (1 + 1e-12))
        throw std::invalid_argument("models::FlowMapStepper: step " +
                                    io::format_number(h.maxCoeff()) +
                                    " is longer than the model's " + io::format_number(m_max_step));
    if (m_keep_dense) {
        m_start = x;
        m_t = t;
        m_h = h;
    }
    m_map(t, h, x, m_next);
    x = m_next;
    m_evaluations += x.rows();
}

void FlowMapStepper::dense(const std::vector<Index>& rows, const Vec& theta, Mat& out) const
{
    const Index n = Index(rows.size());
    Vec t(n), s(n);
    Mat x0(n, m_start.cols());
    for (Index k = 0; k < n; ++k) {
        const Index r = rows[std::size_t(k)];
        t(k) = m_t(r);
        s(k) = theta(k) * m_h(r);
        x0.row(k) = m_start.row(r);
    }
    m_map(t, s, x0, out);
    m_evaluations += n;
}

} // namespace flowkit::models
