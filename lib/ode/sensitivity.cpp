#include "ode/sensitivity.hpp"

#include "core/error.hpp"
#include "core/rows.hpp"
#include "io/table.hpp"

#include <algorithm>

namespace flowkit::ode {

GradientMethod parse_gradient_method(const std::string& name)
{
    if (name == "backprop")
        return GradientMethod::backprop;
    if (name == "adjoint")
        return GradientMethod::adjoint;
    throw UsageError("--grad must be backprop or adjoint (got '" + name + "')");
}

ForwardSolve::ForwardSolve(SolverSettings settings)
    : m_rk(rk_scheme(settings.method), settings, /*fsal=*/true, /*dense=*/true)
{
    const RkScheme& s = m_rk.scheme();
    const Index stages = s.b.size();
    m_matters.assign(std::size_t(stages), 0);
    for (Index i = stages - 1; i >= 0; --i) {
        bool used = s.b(i) != 0;
        for (Index j = i + 1; j < stages; ++j)
            used = used || (s.a(j, i) != 0 && m_matters[std::size_t(j)]);
        m_matters[std::size_t(i)] = used;
    }
}

void ForwardSolve::run(const ParametricSystem& f, const ObservationTimes& times, const Mat& x0,
                       Mat& states, bool record)
{
    Mat x = x0;
    states.resize(times.t.size(), x0.cols());
    for (Index r = 0; r < times.rows(); ++r)
        states.row(times.first(r)) = x0.row(r);
    m_recorded = 0;
    const auto stage = [&](int, const Vec& t, const Vec&, const Mat& Y, Mat& K) { f.rhs(t, Y, K); };
    const auto on_step = [&](const ObservedRk::Step& step, Mat& xs) {
        for (Index r = 0; r < xs.rows(); ++r)
            if (step.landed[std::size_t(r)] >= 0)
                states.row(step.landed[std::size_t(r)]) = xs.row(r);
        for (Index c = 0; c < states.cols(); ++c) // column by column: rows are strided
            for (std::size_t p = 0; p < step.passed.size(); ++p)
                states(step.passed[p].observation, c) = step.passed_states(Index(p), c);
        if (!record)
            return;
        if (m_recorded == m_steps.size())
            m_steps.emplace_back();
        Step& s = m_steps[m_recorded++];
        s.t.swap(step.t); // the solver's matrices for the step, ours for its next
        s.h.swap(step.h);
        s.Y.resize(step.Y.size());
        s.Y.swap(step.Y);
        s.passed = step.passed;
        s.landed.clear();
        for (Index r = 0; r < xs.rows(); ++r) {
            const auto i = std::size_t(r);
            if (!step.accepted[i]) { // it stays where it was: keep its stages finite and inert
                s.h(r) = 0;
                for (Mat& Y : s.Y)
                    Y.row(r) = xs.row(r);
            }
            if (step.landed[i] >= 0)
                s.landed.emplace_back(r, step.landed[i]);
        }
    };
    m_rk.run(times, x, stage, on_step);
}

void ForwardSolve::backward(const ParametricSystem& f, const ObservationTimes& times,
                            const Mat& states_grad, Mat& x0_grad, Eigen::Ref<Vec> grad)
{
    const RkScheme& sc = m_rk.scheme();
    const Index stages = sc.b.size(), last = stages - 1, n = times.rows(), d = states_grad.cols();
    m_backward_evaluations = 0;
    m_xbar.setZero(n, d);
    m_ybar.resize(std::size_t(stages));
    Vec ts;
    // ybar = (dF/dY)^T kbar and its parameter part into grad. Both are linear in kbar, so the
    // rows whose kbar is zero (the rows that were done or rejected in the step, h = 0) may be
    // left out; they are when they are many (the last steps of a block, where few rows still
    // move). A few (a rejection here and there) cost less to evaluate than to gather the others:
    // gathering for every zero row took a tenth of a single-precision node-fit iteration.
    const auto vjp = [&](const Vec& t, const Mat& Y, const Mat& kbar, Mat& ybar) {
        const Index m = nonzero_rows(kbar, m_abs_sums, m_rows);
        m_backward_evaluations += 4 * m >= 3 * n ? n : m;
        if (4 * m >= 3 * n) {
            f.vjp_params(t, Y, kbar, nullptr, nullptr, ybar, grad);
            return;
        }
        ybar.setZero(n, Y.cols());
        if (m == 0)
            return;
        gather_rows(t, m_rows, m_rows_t);
        gather_rows(Y, m_rows, m_rows_y);
        gather_rows(kbar, m_rows, m_rows_kbar);
        f.vjp_params(m_rows_t, m_rows_y, m_rows_kbar, nullptr, nullptr, m_rows_ybar, grad);
        scatter_rows(m_rows_ybar, m_rows, ybar);
    };
    // A passed observation x + h sum_i w_i K_i adds h w_i sbar to Kbar_i and sbar to xbar, with
    // w = alpha b + beta d + gamma e_first - delta e_last (RkScheme::dense_terms). Summed per row
    // over the step's passed observations (alpha sbar, ...: PassedSums), every stage takes its
    // part in a few dense operations instead of a gather and a scatter per observation. The part
    // through the last stage K_last = F(t + h, x_new) joins the first stage of the next record,
    // which is the same evaluation (first same as last).
    const auto passed_sums = [&](const Step& s, PassedSums& sums) {
        sums.any = !s.passed.empty();
        if (!sums.any)
            return;
        for (Mat* M : {&sums.alpha, &sums.beta, &sums.gamma, &sums.delta})
            M->setZero(n, d);
        for (const ObservedRk::Passed& p : s.passed) {
            const RkScheme::DenseTerms w = RkScheme::dense_terms(p.theta);
            for (Index c = 0; c < d; ++c) {
                const double g = states_grad(p.observation, c);
                sums.alpha(p.row, c) += w.alpha * g;
                sums.beta(p.row, c) += w.beta * g;
                sums.gamma(p.row, c) += w.gamma * g;
                sums.delta(p.row, c) += w.delta * g;
            }
        }
    };
    // sum_p w_last(theta_p) sbar_p per row, the part through the last stage (before the factor h).
    const auto last_stage_part = [&](const PassedSums& sums, Mat& out) {
        out = sc.b(last) * sums.alpha + sc.d(last) * sums.beta - sums.delta;
    };
    PassedSums* now = &m_sums[0];  // of the record being reversed
    PassedSums* prev = &m_sums[1]; // of the one before it
    if (m_recorded > 0)
        passed_sums(m_steps[m_recorded - 1], *now);
    for (std::size_t k = m_recorded; k-- > 0;) {
        const Step& s = m_steps[k];
        if (k > 0)
            passed_sums(m_steps[k - 1], *prev);
        for (const auto& [r, obs] : s.landed)
            m_xbar.row(r) += states_grad.row(obs);
        if (k + 1 == m_recorded && now->any) { // no next record
            last_stage_part(*now, m_kbar);
            m_kbar = s.h.asDiagonal() * m_kbar;
            ts = s.t + s.h;
            vjp(ts, s.Y[std::size_t(last)], m_kbar, m_ybar[0]);
            m_xbar += m_ybar[0];
        }
        // x_new = x + h sum_i b_i K_i, K_i = F(t + c_i h, Y_i), Y_i = x + h sum_j a_ij K_j:
        // Kbar_i = h (b_i xbar + sum_{j > i} a_ji Ybar_j), Ybar_i = (dF/dY)^T Kbar_i.
        for (Index i = stages - 1; i >= 0; --i) {
            if (!m_matters[std::size_t(i)])
                continue;
            m_kbar = sc.b(i) * m_xbar;
            for (Index j = i + 1; j < stages; ++j)
                if (sc.a(j, i) != 0 && m_matters[std::size_t(j)])
                    m_kbar += sc.a(j, i) * m_ybar[std::size_t(j)];
            if (now->any) { // the last stage's part goes through the next record's first
                m_kbar += sc.b(i) * now->alpha + sc.d(i) * now->beta;
                if (i == 0)
                    m_kbar += now->gamma;
            }
            m_kbar = s.h.asDiagonal() * m_kbar;
            if (i == 0 && k > 0 && prev->any) {
                last_stage_part(*prev, m_last_part);
                m_kbar += m_steps[k - 1].h.asDiagonal() * m_last_part;
            }
            ts = s.t + sc.c(i) * s.h;
            vjp(ts, s.Y[std::size_t(i)], m_kbar, m_ybar[std::size_t(i)]);
        }
        for (Index i = 0; i < stages; ++i)
            if (m_matters[std::size_t(i)])
                m_xbar += m_ybar[std::size_t(i)];
        for (Index c = 0; c < d; ++c)
            for (const auto& p : s.passed)
                m_xbar(p.row, c) += states_grad(p.observation, c);
        std::swap(now, prev);
    }
    x0_grad.resize(n, d);
    for (Index r = 0; r < n; ++r)
        x0_grad.row(r) = m_xbar.row(r) + states_grad.row(times.first(r));
}

ContinuousAdjoint::ContinuousAdjoint(SolverSettings settings)
    : m_rk(rk_scheme(settings.method), settings, /*fsal=*/false)
{
}

void ContinuousAdjoint::backward(const ParametricSystem& f, const ObservationTimes& times,
                                 const Mat& states, const Mat& states_grad, Mat& x0_grad,
                                 Eigen::Ref<Vec> grad)
{
    const RkScheme& sc = m_rk.scheme();
    const Index n = times.rows(), d = f.dim();
    const ObservationTimes back = times.reversed();
    Mat z(n, 2 * d); // [y, a] per row
    for (Index r = 0; r < n; ++r)
        z.row(r) << states.row(times.last(r)), states_grad.row(times.last(r));

    // Backward in time h < 0, so the quadrature of g' = -(dF/dtheta)^T a adds
    // sum_i (-h b_i) (dF/dtheta)^T a_i to the gradient.
    const auto stage = [&](int i, const Vec& t, const Vec& h, const Mat& Z, Mat& K) {
        if (!all_finite(Z))
            for (Index r = 0; r < Z.rows(); ++r)
                if (!Z.row(r).allFinite())
                    throw ComputeError("adjoint solve diverged: NaN or Inf in " +
                                       m_rk.row_label(m_rk.moving_rows()[std::size_t(r)]) +
                                       " near t=" + io::format_number(t(r)) +
                                       " (tighten --adjoint-rtol, or use --grad backprop)");
        const bool quadrature = i >= 0 && sc.b(i) != 0;
        if (quadrature)
            m_w = -sc.b(i) * h;
        m_y = Z.leftCols(d);
        m_a = Z.rightCols(d);
        f.vjp_params(t, m_y, m_a, quadrature ? &m_w : nullptr, &m_F, m_xbar,
                     quadrature ? grad : Eigen::Ref<Vec>(m_no_params));
        K.resize(Z.rows(), 2 * d);
        K << m_F, -m_xbar;
    };
    std::vector<Index> rejected;
    const auto on_step = [&](const ObservedRk::Step& step, Mat& zs) {
        // A rejected row's stages were added to the integral: take them out again.
        rejected.clear();
        for (Index r = 0; r < n; ++r)
            if (!step.accepted[std::size_t(r)])
                rejected.push_back(r);
        if (!rejected.empty()) {
            const Index m = Index(rejected.size());
            Vec tr(m);
            for (Index i = 0; i < sc.b.size(); ++i) {
                if (sc.b(i) == 0)
                    continue;
                m_rows.resize(m, 2 * d);
                m_w.resize(m);
                for (Index k = 0; k < m; ++k) {
                    const Index r = rejected[std::size_t(k)];
                    m_rows.row(k) = step.Y[std::size_t(i)].row(r);
                    tr(k) = step.t(r) + sc.c(i) * step.h(r);
                    m_w(k) = sc.b(i) * step.h(r);
                }
                m_y = m_rows.leftCols(d);
                m_a = m_rows.rightCols(d);
                f.vjp_params(tr, m_y, m_a, &m_w, nullptr, m_xbar, grad);
            }
        }
        for (Index r = 0; r < n; ++r) {
            const Index p = step.landed[std::size_t(r)];
            if (p < 0)
                continue;
            const Index k = back.reversed_index(r, p);
            zs.row(r).head(d) = states.row(k);
            zs.row(r).tail(d) += states_grad.row(k);
        }
    };
    m_rk.run(back, z, stage, on_step);
    x0_grad = z.rightCols(d);
}

} // namespace flowkit::ode
