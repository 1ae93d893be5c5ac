#include "ode/system_stepper.hpp"

namespace flowkit::ode {

void SystemStepper::step(const Vec& t, const Vec& h, Mat& x)
{
    if (m_keep_dense) {
        m_t0 = t;
        m_h = h;
        m_x0 = x;
    }
    advance(t, h, x);
    if (m_keep_dense)
        m_x1 = x;
}

void SystemStepper::eval(const Vec& t, const Mat& x, Mat& f) const
{
    m_system.rhs(t, x, f);
    m_evaluations += x.rows();
}

void SystemStepper::dense(const std::vector<Index>& rows, const Vec& theta, Mat& out) const
{
    const Index n = static_cast<Index>(rows.size());
    const Index d = m_x0.cols();
    Mat x0(n, d), x1(n, d), f0, f1;
    Vec t0(n), t1(n), h(n);
    for (Index k = 0; k < n; ++k) {
        const Index r = rows[static_cast<std::size_t>(k)];
        x0.row(k) = m_x0.row(r);
        x1.row(k) = m_x1.row(r);
        t0(k) = m_t0(r);
        h(k) = m_h(r);
    }
    t1 = t0 + h;
    eval(t0, x0, f0);
    eval(t1, x1, f1);
    hermite(x0, f0, x1, f1, h, theta, out);
}

} // namespace flowkit::ode
