#include "ode/explicit_rk.hpp"

namespace flowkit::ode {

namespace {

/// out = x + sum over j < count with w(j) != 0 of (w(j) h) k[j], row by row: h enters each
/// weight, not the sum, so a stage costs one multiplication fewer on its critical path (the
/// fast path does the same).
/// `uniform`: every row has the step h(0) (fixed-step runs), so plain scalar products serve,
/// and the first term is fused with the copy of x.
template <class Weights>
void stage_state(const Mat& x, const Weights& w, Index count, const Vec& h, bool uniform,
                 const std::vector<Mat>& k, Mat& out)
{
    bool first = true;
    for (Index j = 0; j < count; ++j) {
        if (w(j) == 0.0)
            continue;
        const Mat& kj = k[static_cast<std::size_t>(j)];
        if (uniform && first)
            out.noalias() = x + (w(j) * h(0)) * kj;
        else if (uniform)
            out.noalias() += (w(j) * h(0)) * kj;
        else if (first)
            out.noalias() = x + (w(j) * h).asDiagonal() * kj;
        else
            out.noalias() += (w(j) * h).asDiagonal() * kj;
        first = false;
    }
    if (first)
        out = x;
}

} // namespace

ExplicitRK::ExplicitRK(const System& system, ButcherTableau tableau)
    : SystemStepper(system), m_tab(std::move(tableau)), m_k(static_cast<std::size_t>(m_tab.b.size()))
{
}

void ExplicitRK::advance(const Vec& t, const Vec& h, Mat& x)
{
    const Index s = m_tab.b.size();
    const bool uniform = h.size() > 0 && (h.array() == h(0)).all();
    for (Index i = 0; i < s; ++i) {
        m_ts = t + m_tab.c(i) * h;
        if (i == 0) {
            eval(m_ts, x, m_k[0]);
            continue;
        }
        stage_state(x, m_tab.a.row(i), i, h, uniform, m_k, m_y);
        eval(m_ts, m_y, m_k[static_cast<std::size_t>(i)]);
    }
    stage_state(x, m_tab.b, s, h, uniform, m_k, m_y);
    x.swap(m_y);
}

} // namespace flowkit::ode
