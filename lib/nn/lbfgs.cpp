#include "nn/lbfgs.hpp"

#include "core/error.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace flowkit::nn {

namespace {

/// One point x0 + alpha d of a line search: phi(alpha) = f(x0 + alpha d),
/// phi'(alpha) = g(x0 + alpha d)' d.
struct Trial
{
    double alpha = 0;
    double f = 0;
    double dphi = 0;
    bool finite = true; ///< f and g finite; false = "too long a step"
    Vec x, g;
};

/// Minimiser of the cubic interpolating phi and phi' at a and b (Nocedal & Wright (3.59)):
///   d1 = phi'(a) + phi'(b) - 3 (phi(a) - phi(b)) / (a - b)
///   d2 = sign(b - a) sqrt(d1^2 - phi'(a) phi'(b))
///   t  = b - (b - a) (phi'(b) + d2 - d1) / (phi'(b) - phi'(a) + 2 d2)
/// NaN when the cubic has no local minimiser (or a, b are not distinct and finite).
double cubic_minimizer(const Trial& a, const Trial& b)
{
    const double nan = std::numeric_limits<double>::quiet_NaN();
    if (!a.finite || !b.finite || a.alpha == b.alpha)
        return nan;
    const double d1 = a.dphi + b.dphi - 3.0 * (a.f - b.f) / (a.alpha - b.alpha);
    const double disc = d1 * d1 - a.dphi * b.dphi;
    if (!(disc >= 0))
        return nan;
    const double d2 = std::copysign(std::sqrt(disc), b.alpha - a.alpha);
    const double t = b.alpha - (b.alpha - a.alpha) * (b.dphi + d2 - d1) /
                                   (b.dphi - a.dphi + 2.0 * d2);
    return std::isfinite(t) ? t : nan;
}

/// Strong-Wolfe line search (Nocedal & Wright Alg. 3.5 bracketing, Alg. 3.6 zoom) along d from
/// the point `start` (alpha 0). Every trial costs one evaluate_with_gradient, at most
/// max_line_search of them.
class LineSearch
{
public:
    LineSearch(Objective& f, const LbfgsParams& p, const Trial& start, const Vec& d,
               long long& evaluations)
        : m_f(f), m_p(p), m_start(start), m_d(d), m_evaluations(evaluations)
    {
    }

    /// Searches from alpha0; true with `out` the accepted point, false if none was found.
    bool run(double alpha0, Trial& out)
    {
        // Alg. 3.5: grow alpha until [prev, alpha] brackets a strong-Wolfe point
        Trial prev = m_start;
        double alpha = alpha0;
        bool first = true;
        while (m_used < m_p.max_line_search) {
            Trial t = evaluate(alpha);
            if (!t.finite || !armijo(t) || (!first && t.f >= prev.f))
                return zoom(prev, t, out) || best(out);
            if (curvature(t)) {
                out = std::move(t);
                return true;
            }
            if (t.dphi >= 0) // past a minimiser of phi: it lies in [prev, t]
                return zoom(t, prev, out) || best(out);
            // still descending: extrapolate by the cubic through prev and t, but grow by a
            // factor 2..4 so the bracket is found in few steps and the step never shrinks
            const double next = cubic_minimizer(prev, t);
            if (std::isnan(next) || next > 4.0 * t.alpha)
                alpha = 4.0 * t.alpha;
            else
                alpha = std::max(next, 2.0 * t.alpha);
            prev = std::move(t);
            first = false;
        }
        return best(out);
    }

    /// Every finite trial's f was within `tol` |phi(0)| of phi(0): f is flat along d to
    /// rounding, so a failed search means the bottom has been reached, not a bad direction.
    bool flat(double tol) const { return m_largest_change <= tol * std::abs(m_start.f); }

private:
    Objective& m_f;
    const LbfgsParams& m_p;
    const Trial& m_start;
    const Vec& m_d;
    long long& m_evaluations;
    int m_used = 0;      // evaluations by this search
    Trial m_best;        // lowest f among finite trials with sufficient decrease, f < phi(0)
    bool m_has_best = false;
    double m_largest_change = 0; // max |f - phi(0)| over finite trials

    Trial evaluate(double alpha)
    {
        Trial t;
        t.alpha = alpha;
        t.x = m_start.x + alpha * m_d;
        t.f = m_f.evaluate_with_gradient(t.x, t.g);
        ++m_used;
        ++m_evaluations;
        if (t.g.size() != t.x.size())
            throw std::invalid_argument("nn::Lbfgs: gradient has " + std::to_string(t.g.size()) +
                                        " entries, theta " + std::to_string(t.x.size()));
        t.finite = std::isfinite(t.f) && t.g.allFinite();
        t.dphi = t.finite ? t.g.dot(m_d) : std::numeric_limits<double>::quiet_NaN();
        if (t.finite)
            m_largest_change = std::max(m_largest_change, std::abs(t.f - m_start.f));
        // f < phi(0) too: a step so short that f rounds to phi(0) passes the Armijo test
        // with c1 alpha phi'(0) below f's resolution, but is no progress
        if (t.finite && armijo(t) && t.f < m_start.f && (!m_has_best || t.f < m_best.f)) {
            m_best = t;
            m_has_best = true;
        }
        return t;
    }

    /// Sufficient decrease: phi(alpha) <= phi(0) + c1 alpha phi'(0).
    bool armijo(const Trial& t) const
    {
        return t.f <= m_start.f + m_p.c1 * t.alpha * m_start.dphi;
    }
    /// Strong curvature condition: |phi'(alpha)| <= c2 |phi'(0)|.
    bool curvature(const Trial& t) const
    {
        return std::abs(t.dphi) <= m_p.c2 * std::abs(m_start.dphi);
    }

    /// Budget spent without a strong-Wolfe point: a finite point with sufficient decrease
    /// still makes progress, so take the lowest one rather than fail.
    bool best(Trial& out)
    {
        if (!m_has_best)
            return false;
        out = std::move(m_best);
        return true;
    }

    /// Alg. 3.6. Invariants: lo satisfies sufficient decrease and has the lowest f of the
    /// trials so far that do; phi'(lo) (hi - lo) < 0, so a strong-Wolfe point lies between
    /// them; hi may be non-finite ("too long").
    bool zoom(Trial lo, Trial hi, Trial& out)
    {
        while (m_used < m_p.max_line_search) {
            const double a = std::min(lo.alpha, hi.alpha), b = std::max(lo.alpha, hi.alpha);
            const double margin = 0.1 * (b - a);
            // safeguarded cubic: keep the trial in [a + 0.1 (b - a), b - 0.1 (b - a)] so the
            // interval shrinks by at least 10% each time; bisect when the cubic has no
            // minimiser or hi has no finite values to interpolate
            double alpha = cubic_minimizer(lo, hi);
            if (std::isnan(alpha))
                alpha = 0.5 * (a + b);
            else
                alpha = std::clamp(alpha, a + margin, b - margin);
            if (alpha <= a || alpha >= b) // interval below the resolution of doubles
                return false;
            Trial t = evaluate(alpha);
            if (!t.finite || !armijo(t) || t.f >= lo.f) {
                hi = std::move(t);
            } else {
                if (curvature(t)) {
                    out = std::move(t);
                    return true;
                }
                if (t.dphi * (hi.alpha - lo.alpha) >= 0)
                    hi = std::move(lo);
                lo = std::move(t);
            }
        }
        return false;
    }
};

} // namespace

std::string to_string(LbfgsStop stop)
{
    switch (stop) {
    case LbfgsStop::none:
        return "";
    case LbfgsStop::gradient_tolerance:
        return "gradient tolerance";
    case LbfgsStop::no_progress:
        return "no progress";
    case LbfgsStop::line_search_failure:
        return "line-search failure";
    }
    return "";
}

void LbfgsParams::check() const
{
    // !(x >= 0) also rejects NaN
    require_option(memory >= 1, "--lbfgs-memory", ">= 1", memory);
    require_option(grad_tol >= 0 && std::isfinite(grad_tol), "--grad-tol", ">= 0", grad_tol);
    require_option(ftol >= 0 && std::isfinite(ftol), "L-BFGS ftol", ">= 0", ftol);
    require_option(max_line_search >= 1, "L-BFGS max_line_search", ">= 1", max_line_search);
    require_option(c2 > 0 && c2 < 1, "L-BFGS c2", "in (0, 1)", c2);
    require_option(c1 > 0 && c1 < c2, "L-BFGS c1", "in (0, c2)", c1);
}

Lbfgs::Lbfgs(const LbfgsParams& params) : m_params(params)
{
    m_params.check();
}

void Lbfgs::set_state(const LbfgsState& state)
{
    const Index n = state.x.size();
    bool ok = state.g.size() == n && state.s.size() == state.y.size() && state.iterations >= 0;
    for (std::size_t i = 0; ok && i < state.s.size(); ++i)
        ok = state.s[i].size() == n && state.y[i].size() == n;
    if (!ok)
        throw std::invalid_argument("nn::Lbfgs::set_state: x has " + std::to_string(n) +
                                    " entries, g " + std::to_string(state.g.size()) + ", " +
                                    std::to_string(state.s.size()) + " s and " +
                                    std::to_string(state.y.size()) +
                                    " y pairs (all of x's size), iterations " +
                                    std::to_string(state.iterations));
    m_state = state;
    // a state saved with a larger memory: keep the newest pairs
    const std::size_t memory = std::size_t(m_params.memory);
    if (m_state.s.size() > memory) {
        const auto drop = std::ptrdiff_t(m_state.s.size() - memory);
        m_state.s.erase(m_state.s.begin(), m_state.s.begin() + drop);
        m_state.y.erase(m_state.y.begin(), m_state.y.begin() + drop);
    }
}

double Lbfgs::step(Objective& f, Vec& theta)
{
    LbfgsState& st = m_state;
    const bool at_x = st.x.size() > 0 && st.x.size() == theta.size() && st.x == theta;
    if (!at_x) {
        // a new starting point: what the memory learnt elsewhere does not apply here
        Vec g;
        const double f0 = f.evaluate_with_gradient(theta, g);
        ++m_evaluations;
        if (g.size() != theta.size())
            throw std::invalid_argument("nn::Lbfgs: gradient has " + std::to_string(g.size()) +
                                        " entries, theta " + std::to_string(theta.size()));
        if (!std::isfinite(f0) || !g.allFinite())
            throw ComputeError("lbfgs: " +
                               std::string(std::isfinite(f0) ? "gradient" : "loss") +
                               " is not finite at the starting point");
        st.x = theta;
        st.f = f0;
        st.g = std::move(g);
        st.s.clear();
        st.y.clear();
        st.stop = LbfgsStop::none;
    }
    m_last_step = 0;
    if (st.stop != LbfgsStop::none)
        return st.f;

    // gradient test, relative to the size of theta so that it does not depend on its scale
    const double gnorm = st.g.norm();
    if (gnorm <= m_params.grad_tol * std::max(1.0, st.x.norm())) {
        st.stop = LbfgsStop::gradient_tolerance;
        return st.f;
    }

    Trial start;
    start.x = st.x;
    start.f = st.f;
    start.g = st.g;

    // Alg. 7.4 two-loop recursion, d = -H g with H0 = gamma I:
    //   q = g; for i newest..oldest: a_i = rho_i s_i'q, q -= a_i y_i   (rho_i = 1 / y_i's_i)
    //   r = gamma q, gamma = s'y / y'y of the newest pair (scales H0 like the true Hessian^-1)
    //   for i oldest..newest: b = rho_i y_i'r, r += (a_i - b) s_i;     d = -r
    Vec d;
    if (!st.s.empty()) {
        const std::size_t k = st.s.size();
        std::vector<double> a(k), rho(k);
        Vec q = st.g;
        for (std::size_t i = k; i-- > 0;) {
            rho[i] = 1.0 / st.y[i].dot(st.s[i]);
            a[i] = rho[i] * st.s[i].dot(q);
            q -= a[i] * st.y[i];
        }
        q *= st.s.back().dot(st.y.back()) / st.y.back().squaredNorm();
        for (std::size_t i = 0; i < k; ++i) {
            const double b = rho[i] * st.y[i].dot(q);
            q += (a[i] - b) * st.s[i];
        }
        d = -q;
        start.dphi = st.g.dot(d);
        // H is positive definite in exact arithmetic; rounding can still spoil it
        if (!(start.dphi < 0)) {
            st.s.clear();
            st.y.clear();
        }
    }

    Trial accepted;
    bool found = false, flat = false;
    if (!st.s.empty()) {
        // a quasi-Newton direction is scaled: the unit step is the natural first trial
        found = LineSearch(f, m_params, start, d, m_evaluations).run(1.0, accepted);
        if (!found) { // the memory may be misleading: forget it and try steepest descent
            st.s.clear();
            st.y.clear();
        }
    }
    if (!found) {
        // steepest descent has no natural scale: the first trial moves theta by at most 1
        d = -st.g;
        start.dphi = -gnorm * gnorm;
        LineSearch search(f, m_params, start, d, m_evaluations);
        found = search.run(std::min(1.0, 1.0 / gnorm), accepted);
        flat = search.flat(m_params.ftol);
    }
    if (!found) {
        st.stop = flat ? LbfgsStop::no_progress : LbfgsStop::line_search_failure;
        theta = st.x;
        return st.f;
    }

    // curvature pair s = x_new - x, y = g_new - g. Store it only when s'y > 1e-12 y'y:
    // s'y > 0 keeps the update positive definite (so d stays a descent direction), and the
    // relative margin rejects pairs whose s'y is rounding noise, which would make
    // rho = 1 / s'y and gamma = s'y / y'y meaningless (a non-strong-Wolfe fallback point or
    // a flat or linear stretch can give such pairs).
    Vec s = accepted.x - st.x;
    Vec y = accepted.g - st.g;
    if (s.dot(y) > 1e-12 * y.squaredNorm()) {
        st.s.push_back(std::move(s));
        st.y.push_back(std::move(y));
        if (st.s.size() > std::size_t(m_params.memory)) {
            st.s.erase(st.s.begin());
            st.y.erase(st.y.begin());
        }
    }

    const double f_old = st.f;
    m_last_step = accepted.alpha;
    st.x = std::move(accepted.x);
    st.f = accepted.f;
    st.g = std::move(accepted.g);
    ++st.iterations;
    // no progress: f_old - f_new <= ftol max(|f_old|, |f_new|)
    if (f_old - st.f <= m_params.ftol * std::max(std::abs(f_old), std::abs(st.f)))
        st.stop = LbfgsStop::no_progress;
    theta = st.x;
    return st.f;
}

double minimize_lbfgs(Objective& f, Vec& theta, const LbfgsParams& params, long max_iterations,
                      LbfgsStop* stop, long long* evaluations)
{
    Lbfgs lbfgs(params);
    double loss;
    if (max_iterations <= 0) { // nothing to run, but the loss at theta is still wanted
        Vec grad;
        loss = f.evaluate_with_gradient(theta, grad);
    } else {
        loss = lbfgs.step(f, theta);
        for (long k = 1; k < max_iterations && lbfgs.stop() == LbfgsStop::none; ++k)
            loss = lbfgs.step(f, theta);
    }
    if (stop)
        *stop = lbfgs.stop();
    if (evaluations)
        *evaluations = max_iterations <= 0 ? 1 : lbfgs.evaluations();
    return loss;
}

} // namespace flowkit::nn
