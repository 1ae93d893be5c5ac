#include "ode/observed_rk.hpp"

#include "core/error.hpp"
#include "core/rows.hpp"
#include "io/table.hpp"
#include "ode/dopri5_coefficients.hpp"
#include "ode/explicit_rk.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace flowkit::ode {

namespace {

constexpr double safety = 0.9, max_growth = 10.0, max_shrink = 0.2;

RkScheme from_tableau(const ButcherTableau& t)
{
    return {t.name, t.order, t.a, t.b, t.c, Vec(), Vec()};
}

RkScheme dopri5_scheme()
{
    using namespace dopri5_coefficients;
    RkScheme s{"dopri5", 5, Mat::Zero(7, 7), Vec(7), Vec(7), Vec(7), Vec(7)}; // all filled below
    s.c << 0, c2, c3, c4, c5, 1, 1;
    s.a(1, 0) = a21;
    s.a.row(2).head(2) << a31, a32;
    s.a.row(3).head(3) << a41, a42, a43;
    s.a.row(4).head(4) << a51, a52, a53, a54;
    s.a.row(5).head(5) << a61, a62, a63, a64, a65;
    s.a.row(6).head(6) << a71, 0, a73, a74, a75, a76;
    s.b = s.a.row(6).transpose(); // the last stage is F(t + h, x_new): first same as last
    s.e << e1, 0, e3, e4, e5, e6, e7;
    s.d << d1, 0, d3, d4, d5, d6, d7;
    return s;
}

double rms(const Eigen::ArrayXd& v) { return std::sqrt(v.square().mean()); }

} // namespace

void SolverSettings::check(const std::string& prefix) const
{
    rk_scheme(method);
    require_option(steps_per_interval >= 1, "--steps-per-interval", ">= 1",
                   double(steps_per_interval));
    require_option(rtol > 0 && std::isfinite(rtol), ("--" + prefix + "rtol").c_str(), "> 0", rtol);
    require_option(atol > 0 && std::isfinite(atol), ("--" + prefix + "atol").c_str(), "> 0", atol);
    require_option(max_steps >= 1, "--max-steps", ">= 1", double(max_steps));
}

RkScheme::DenseTerms RkScheme::dense_terms(double theta)
{
    // Hairer's x(theta) = x + theta r2 + theta (1 - theta) r3 + theta^2 (1 - theta) r4
    //                     + theta^2 (1 - theta)^2 r5
    // with r2 = h b.K, r3 = h K_1 - r2, r4 = 2 r2 - h K_1 - h K_last, r5 = h d.K.
    const double u = 1 - theta, c3 = theta * u, c4 = theta * c3, c5 = c4 * u;
    return {theta - c3 + 2 * c4, c5, c3 - c4, c4};
}

RkScheme rk_scheme(const std::string& method)
{
    if (method == "euler")
        return from_tableau(euler_tableau());
    if (method == "midpoint")
        return from_tableau(midpoint_tableau());
    if (method == "rk4")
        return from_tableau(rk4_tableau());
    if (method == "dopri5")
        return dopri5_scheme();
    throw UsageError("--solver must be one of euler, midpoint, rk4, dopri5 (got '" + method + "')");
}

ObservedRk::ObservedRk(RkScheme scheme, SolverSettings settings, bool fsal, bool dense)
    : m_scheme(std::move(scheme)), m_settings(std::move(settings)),
      m_fsal(fsal && m_scheme.adaptive()), m_dense(dense && m_scheme.has_dense_output())
{
}

std::string ObservedRk::row_label(Index r) const
{
    return m_label ? m_label(r) : "trajectory " + std::to_string(r);
}

void ObservedRk::initial_steps(const ObservationTimes& times, const Mat& x, const StageFn& stage)
{
    const Index n = x.rows();
    const double rtol = m_settings.rtol, atol = m_settings.atol;
    Mat f0, f1;
    stage(-1, m_t, Vec::Zero(n), x, f0);
    m_evaluations += n;
    const Eigen::ArrayXXd scale = atol + rtol * x.array().abs();
    Vec h0(n), dir(n);
    for (Index r = 0; r < n; ++r) {
        if (!f0.row(r).allFinite())
            throw ComputeError("diverged: NaN or Inf in the vector field of " + row_label(r) +
                               " at t=" + io::format_number(m_t(r)));
        const Index k = m_at[std::size_t(r)], next = m_dense ? times.last(r) : k + 1;
        const double span = k < times.last(r) ? times.t(next) - times.t(k) : 0.0;
        dir(r) = span >= 0 ? 1.0 : -1.0;
        const double d0 = rms(x.row(r).array().transpose() / scale.row(r).transpose());
        const double d1 = rms(f0.row(r).array().transpose() / scale.row(r).transpose());
        h0(r) = d0 < 1e-5 || d1 < 1e-5 ? 1e-6 : 0.01 * d0 / d1;
        h0(r) = std::min(h0(r), std::abs(span));
    }
    const Mat x1 = x + (h0.cwiseProduct(dir)).asDiagonal() * f0;
    stage(-1, m_t + h0.cwiseProduct(dir), Vec::Zero(n), x1, f1);
    m_evaluations += n;
    for (Index r = 0; r < n; ++r) {
        const double d1 = rms(f0.row(r).array().transpose() / scale.row(r).transpose());
        const double d2 =
            h0(r) > 0 ? rms((f1 - f0).row(r).array().transpose() / scale.row(r).transpose()) / h0(r)
                      : 0.0;
        const double m = std::max(d1, d2);
        const double h1 = m <= 1e-15 ? std::max(1e-6, h0(r) * 1e-3) : std::pow(0.01 / m, 0.2);
        m_h(r) = dir(r) * std::min(100 * h0(r), h1);
    }
    if (m_fsal)
        m_k1 = f0;
}

void ObservedRk::run(const ObservationTimes& times, Mat& x, const StageFn& stage,
                     const StepFn& on_step)
{
    const RkScheme& s = m_scheme;
    const Index n = x.rows(), stages = s.b.size();
    m_evaluations = 0;
    m_t.resize(n);
    m_h.setZero(n);
    m_at.assign(std::size_t(n), 0);
    m_sub.assign(std::size_t(n), 0);
    m_attempts.assign(std::size_t(n), 0);
    m_rejected_last.assign(std::size_t(n), 0);
    Index active = 0;
    for (Index r = 0; r < n; ++r) {
        m_at[std::size_t(r)] = times.first(r);
        m_t(r) = times.t(times.first(r));
        active += times.count(r) > 1;
    }
    if (active == 0)
        return;
    m_moving.resize(std::size_t(n));
    for (Index r = 0; r < n; ++r)
        m_moving[std::size_t(r)] = r;
    if (s.adaptive())
        initial_steps(times, x, stage);
    m_Y.resize(std::size_t(stages));
    m_K.resize(std::size_t(stages));
    m_landing.assign(std::size_t(n), 0);
    m_accepted.assign(std::size_t(n), 0);
    m_landed.assign(std::size_t(n), -1);

    while (active > 0) {
        // This step's size per row: the proposal, or what lands on the next observation.
        m_hs.setZero(n);
        for (Index r = 0; r < n; ++r) {
            const auto i = std::size_t(r);
            m_landing[i] = 0;
            const Index k = m_at[i];
            if (k == times.last(r))
                continue;
            const Index next = m_dense ? times.last(r) : k + 1;
            const double target = times.t(next);
            if (!s.adaptive()) {
                const long K = m_settings.steps_per_interval;
                m_hs(r) = (target - times.t(k)) / double(K);
                m_landing[i] = m_sub[i] + 1 == K;
            } else {
                const double remaining = target - m_t(r);
                m_landing[i] = std::abs(m_h(r)) >= std::abs(remaining) * (1 - 1e-12);
                m_hs(r) = m_landing[i] ? remaining : m_h(r);
                if (!(std::abs(m_hs(r)) > 0)) // a row that cannot move would never finish
                    throw ComputeError(s.name + ": step size underflow (h=" +
                                       io::format_number(m_hs(r)) + ") at t=" +
                                       io::format_number(m_t(r)) + " in " + row_label(r));
            }
        }
        // The stages skip the rows that are done: in a block of trajectories with different
        // step counts they were a third of all evaluations (node-fit's bench data).
        m_moving.clear();
        for (Index r = 0; r < n; ++r)
            if (m_hs(r) != 0)
                m_moving.push_back(r);
        const bool all_move = Index(m_moving.size()) == n;
        for (Index i = 0; i < stages; ++i) {
            auto& Y = m_Y[std::size_t(i)];
            if (i > 0)
                combine_stages(x, s.a.row(i), i, Y);
            else
                Y = x;
            if (i == 0 && m_fsal) {
                m_K[0] = m_k1;
                continue;
            }
            m_ts = m_t + s.c(i) * m_hs;
            Mat& K = m_K[std::size_t(i)];
            m_evaluations += Index(m_moving.size());
            if (all_move) {
                stage(int(i), m_ts, m_hs, Y, K);
            } else {
                gather_rows(m_ts, m_moving, m_moving_t);
                gather_rows(m_hs, m_moving, m_moving_h);
                gather_rows(Y, m_moving, m_moving_Y);
                stage(int(i), m_moving_t, m_moving_h, m_moving_Y, m_moving_K);
                K.setZero(n, m_moving_K.cols()); // a row that is done does not move: H K = 0
                scatter_rows(m_moving_K, m_moving, K);
            }
        }
        combine_stages(x, s.b, stages, m_x_new);
        if (s.adaptive()) {
            m_sum = s.e(0) * m_K[0];
            for (Index i = 1; i < stages; ++i)
                if (s.e(i) != 0)
                    m_sum += s.e(i) * m_K[std::size_t(i)];
            m_scale = m_settings.atol +
                      m_settings.rtol * x.array().abs().max(m_x_new.array().abs());
            // The RMS over a row's components, column by column (rows are strided).
            m_err.setZero(n);
            for (Index c = 0; c < m_sum.cols(); ++c)
                m_err.array() += (m_hs.array() * m_sum.col(c).array() / m_scale.col(c)).square();
            m_err = (m_err.array() / double(m_sum.cols())).sqrt();
        }

        if (s.adaptive()) // e^-0.2 for the step size controller, all rows at once
            m_err_power = (-0.2 * m_err.array().log()).exp();
        m_t_start = m_t;
        m_passed.clear();
        m_finiteness = row_finiteness(m_x_new);
        for (Index r = 0; r < n; ++r) {
            const auto i = std::size_t(r);
            m_landed[i] = -1;
            m_accepted[i] = 1;
            if (m_hs(r) == 0)
                continue;
            const bool finite = m_finiteness(r) == 0;
            const Index k = m_at[i];
            const Index next = m_dense ? times.last(r) : k + 1; // what a landing reaches
            if (!s.adaptive()) {
                if (!finite)
                    throw ComputeError("diverged: NaN or Inf in " + row_label(r) + " at t=" +
                                       io::format_number(m_t(r) + m_hs(r)));
                ++m_sub[i];
                m_t(r) = m_landing[i] ? times.t(k + 1)
                                      : times.t(k) + double(m_sub[i]) * m_hs(r);
            } else {
                const double e = m_err(r);
                ++m_attempts[i];
                if (e <= 1.0 && finite) {
                    double factor = e == 0 ? max_growth
                                           : std::clamp(safety * m_err_power(r), max_shrink,
                                                        max_growth);
                    if (m_rejected_last[i])
                        factor = std::min(factor, 1.0);
                    m_rejected_last[i] = 0;
                    if (!m_landing[i])
                        m_h(r) *= factor;
                    m_t(r) = m_landing[i] ? times.t(next) : m_t(r) + m_hs(r);
                    if (m_fsal)
                        m_k1.row(r) = m_K.back().row(r);
                } else {
                    m_accepted[i] = 0;
                    m_rejected_last[i] = 1;
                    m_h(r) *= std::isfinite(e) ? std::max(max_shrink, safety * m_err_power(r))
                                               : max_shrink;
                    const double h_min =
                        16 * std::numeric_limits<double>::epsilon() * std::max(1.0, std::abs(m_t(r)));
                    if (std::abs(m_h(r)) < h_min)
                        throw ComputeError(s.name + ": step size underflow (h=" +
                                           io::format_number(m_h(r)) + ") at t=" +
                                           io::format_number(m_t(r)) + " in " + row_label(r));
                }
                if (m_attempts[i] > m_settings.max_steps)
                    throw ComputeError(s.name + ": more than " +
                                       std::to_string(m_settings.max_steps) +
                                       " steps in " + row_label(r) + ", at t=" +
                                       io::format_number(m_t(r)));
            }
            if (!m_accepted[i])
                continue;
            if (m_dense)
                pass_observations(times, r, m_t_start(r));
            x.row(r) = m_x_new.row(r);
            if (m_landing[i]) {
                m_landed[i] = next;
                m_at[i] = next;
                m_sub[i] = 0;
                active -= next == times.last(r);
            }
        }
        if (m_dense)
            interpolate_passed();
        on_step({m_t_start, m_hs, m_Y, m_accepted, m_landed, m_passed, m_passed_states}, x);
    }
}

template <class Weights>
void ObservedRk::combine_stages(const Mat& x, const Weights& w, Index count, Mat& out)
{
    // In one pass, column by column: as Eigen expressions (a copy, a sum per stage, the scaled
    // add) the stores were a fifth of a solver step. The same operations in the same order.
    const Index n = x.rows();
    out.resize(n, x.cols());
    m_terms.clear();
    for (Index j = 0; j < count; ++j)
        if (w(j) != 0)
            m_terms.push_back(j);
    if (m_terms.empty()) {
        out = x;
        return;
    }
    const double* h = m_hs.data();
    for (Index c = 0; c < x.cols(); ++c) {
        const double* xc = x.col(c).data();
        double* o = out.col(c).data();
        const double w0 = w(m_terms[0]);
        const double* k0 = m_K[std::size_t(m_terms[0])].col(c).data();
        for (Index r = 0; r < n; ++r)
            o[r] = w0 * k0[r];
        for (std::size_t t = 1; t < m_terms.size(); ++t) {
            const double wt = w(m_terms[t]);
            const double* k = m_K[std::size_t(m_terms[t])].col(c).data();
            for (Index r = 0; r < n; ++r)
                o[r] += wt * k[r];
        }
        for (Index r = 0; r < n; ++r)
            o[r] = xc[r] + h[r] * o[r];
    }
}

void ObservedRk::pass_observations(const ObservationTimes& times, Index r, double t_start)
{
    // The observations before the row's last that this step reached: (t_start, t_start + h].
    // Most rows pass nothing in most steps: |t - t_start| well beyond |h| (theta > 1 after any
    // rounding) says so without the division, a fifth of this function's time.
    const double h = m_hs(r);
    const double beyond = std::abs(h) * (1 + 4 * std::numeric_limits<double>::epsilon());
    auto& at = m_at[std::size_t(r)];
    while (at + 1 < times.last(r)) {
        const double from_start = times.t(at + 1) - t_start;
        if (std::abs(from_start) > beyond)
            break;
        const double theta = from_start / h;
        if (!(theta <= 1.0))
            break;
        ++at;
        m_passed.push_back({r, at, theta});
    }
}

void ObservedRk::interpolate_passed()
{
    const Index stages = m_scheme.b.size(), P = Index(m_passed.size()), d = m_Y[0].cols();
    m_passed_states.resize(P, d);
    if (P == 0)
        return;
    // x + h (alpha b.K + beta d.K + gamma K_1 - delta K_last), b.K and d.K once for the step: a
    // gather per stage and observation took a twentieth of a single-precision node-fit iteration.
    m_bK = m_scheme.b(0) * m_K[0];
    m_dK = m_scheme.d(0) * m_K[0];
    for (Index i = 1; i < stages; ++i) {
        if (m_scheme.b(i) != 0)
            m_bK += m_scheme.b(i) * m_K[std::size_t(i)];
        if (m_scheme.d(i) != 0)
            m_dK += m_scheme.d(i) * m_K[std::size_t(i)];
    }
    const Mat &y0 = m_Y[0], &k_first = m_K[0], &k_last = m_K.back(); // y0: the step's start
    for (Index p = 0; p < P; ++p) {
        const Passed& o = m_passed[std::size_t(p)];
        const RkScheme::DenseTerms w = RkScheme::dense_terms(o.theta);
        const Index r = o.row;
        const double h = m_hs(r);
        for (Index c = 0; c < d; ++c)
            m_passed_states(p, c) =
                y0(r, c) + h * (w.alpha * m_bK(r, c) + w.beta * m_dK(r, c) +
                                w.gamma * k_first(r, c) - w.delta * k_last(r, c));
    }
}

} // namespace flowkit::ode
