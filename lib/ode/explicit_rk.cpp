#include "ode/explicit_rk.hpp"

namespace flowkit::ode {

ButcherTableau euler_tableau()
{
    return {"euler", 1, Mat::Zero(1, 1), Vec::Ones(1), Vec::Zero(1)};
}

ButcherTableau midpoint_tableau()
{
    Mat a = Mat::Zero(2, 2);
    a(1, 0) = 0.5;
    return {"midpoint", 2, a, (Vec(2) << 0, 1).finished(), (Vec(2) << 0, 0.5).finished()};
}

ButcherTableau rk4_tableau()
{
    Mat a = Mat::Zero(4, 4);
    a(1, 0) = 0.5;
    a(2, 1) = 0.5;
    a(3, 2) = 1.0;
    return {"rk4", 4, a, (Vec(4) << 1.0 / 6, 1.0 / 3, 1.0 / 3, 1.0 / 6).finished(),
            (Vec(4) << 0, 0.5, 0.5, 1).finished()};
}

ExplicitRK::ExplicitRK(const System& system, ButcherTableau tableau)
    : SystemStepper(system), m_tab(std::move(tableau)), m_k(static_cast<std::size_t>(m_tab.b.size()))
{
}

void ExplicitRK::advance(const Vec& t, const Vec& h, Mat& x)
{
    const Index s = m_tab.b.size();
    for (Index i = 0; i < s; ++i) {
        m_ts = t + m_tab.c(i) * h;
        if (i == 0) {
            eval(m_ts, x, m_k[0]);
            continue;
        }
        m_acc.setZero(x.rows(), x.cols());
        for (Index j = 0; j < i; ++j)
            if (m_tab.a(i, j) != 0.0)
                m_acc += m_tab.a(i, j) * m_k[static_cast<std::size_t>(j)];
        m_y = x;
        m_y.noalias() += h.asDiagonal() * m_acc;
        eval(m_ts, m_y, m_k[static_cast<std::size_t>(i)]);
    }
    m_acc.setZero(x.rows(), x.cols());
    for (Index i = 0; i < s; ++i)
        m_acc += m_tab.b(i) * m_k[static_cast<std::size_t>(i)];
    x.noalias() += h.asDiagonal() * m_acc;
}

} // namespace flowkit::ode
