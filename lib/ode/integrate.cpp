#include "ode/integrate.hpp"

#include "core/error.hpp"
#include "io/table.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <thread>

namespace flowkit::ode {

namespace {

using io::format_number;

/// An output due inside the step just taken: row `local` of the batch, trajectory `id`.
struct Event
{
    double t;
    Index id;
    Index local;
    double theta; // position inside the step
    bool at_end;  // exactly the end of the step: no interpolation
};

/// Collects and writes the outputs that fall inside one step of each row.
class Emitter
{
public:
    Emitter(const OutputSchedule& schedule, Index rows, double t0, double t1)
        : m_cursor(schedule, rows, t0, t1), m_dir(t1 >= t0 ? 1.0 : -1.0)
    {
    }

    /// Outputs of trajectory `id` due at t0 (before any step).
    void collect_initial(Index id, Index local, double t0)
    {
        while (!m_cursor.done(id) && std::abs(m_cursor.next(id) - t0) <= tol(t0, 0.0)) {
            m_events.push_back({m_cursor.next(id), id, local, 0.0, false});
            m_events.back().at_end = true;
            m_cursor.advance(id);
        }
    }

    /// Outputs of trajectory `id` due in (ta, tb], the step just taken by row `local`.
    void collect(Index id, Index local, double ta, double tb)
    {
        const double h = tb - ta;
        while (!m_cursor.done(id)) {
            const double t = m_cursor.next(id);
            if (m_dir * (t - tb) > tol(tb, h))
                break;
            const bool at_end = std::abs(t - tb) <= tol(tb, h);
            m_events.push_back({t, id, local, at_end ? 1.0 : (t - ta) / h, at_end});
            m_cursor.advance(id);
        }
    }

    /// Writes the collected outputs in time order; x_end holds the states at the step ends.
    void emit(const Stepper& stepper, const Mat& x_end, const Observer& observe)
    {
        if (m_events.empty())
            return;
        std::sort(m_events.begin(), m_events.end(), [](const Event& a, const Event& b) {
            return a.t != b.t ? a.t < b.t : a.id < b.id;
        });
        std::vector<Index> inner;
        Vec theta(static_cast<Index>(m_events.size()));
        for (const auto& e : m_events)
            if (!e.at_end) {
                theta(static_cast<Index>(inner.size())) = e.theta;
                inner.push_back(e.local);
            }
        Mat interpolated;
        if (!inner.empty())
            stepper.dense(inner, theta.head(static_cast<Index>(inner.size())), interpolated);
        const Index n = static_cast<Index>(m_events.size());
        m_ids.resize(m_events.size());
        m_t.resize(n);
        m_x.resize(n, x_end.cols());
        Index k_inner = 0;
        for (Index k = 0; k < n; ++k) {
            const Event& e = m_events[static_cast<std::size_t>(k)];
            m_ids[static_cast<std::size_t>(k)] = e.id;
            m_t(k) = e.t;
            if (e.at_end)
                m_x.row(k) = x_end.row(e.local);
            else
                m_x.row(k) = interpolated.row(k_inner++);
        }
        m_events.clear();
        observe(m_ids, m_t, m_x);
    }

private:
    static double tol(double t, double h)
    {
        return 1e-12 * std::max({1.0, std::abs(t)}) + 1e-9 * std::abs(h);
    }

    OutputCursor m_cursor;
    double m_dir;
    std::vector<Event> m_events;
    std::vector<Index> m_ids;
    Vec m_t;
    Mat m_x;
};

/// Stepper::steps over the rows of x split among worker threads, each with its own stepper;
/// rows are independent, so the result does not depend on the split. Returns the first step
/// after which some state is not finite, or k_end; rethrows what a worker threw.
long parallel_steps(std::vector<std::unique_ptr<Stepper>>& workers, double t0, double h,
                    long k_begin, long k_end, double h_last, Mat& x)
{
    const Index n = x.rows(), parts = static_cast<Index>(workers.size());
    std::vector<long> failed(workers.size(), k_end);
    std::vector<std::exception_ptr> errors(workers.size());
    std::vector<std::thread> pool;
    for (Index p = 0; p < parts; ++p)
        pool.emplace_back([&, p] {
            const Index r0 = n * p / parts, rows = n * (p + 1) / parts - r0;
            try {
                Mat part = x.middleRows(r0, rows);
                failed[static_cast<std::size_t>(p)] =
                    workers[static_cast<std::size_t>(p)]->steps(t0, h, k_begin, k_end, h_last, part);
                x.middleRows(r0, rows) = part;
            } catch (...) {
                errors[static_cast<std::size_t>(p)] = std::current_exception();
            }
        });
    for (auto& thread : pool)
        thread.join();
    for (const auto& e : errors)
        if (e)
            std::rethrow_exception(e);
    return *std::min_element(failed.begin(), failed.end());
}

/// Number of fixed steps of size dt over [t0, t1] (CLI.md's --dt rule).
long fixed_step_count(double span, double dt)
{
    if (span == 0)
        return 0;
    const double ratio = std::abs(span / dt);
    const double nearest = std::round(ratio);
    if (std::abs(ratio - nearest) <= 1e-9 * std::max(1.0, ratio))
        return std::max(1L, static_cast<long>(nearest));
    return static_cast<long>(std::ceil(ratio));
}

/// e^(-1/5) for the step-size controller (exp and log: several times faster than std::pow,
/// and the last bit of a step size does not matter).
double inverse_fifth_root(double e) { return std::exp(-0.2 * std::log(e)); }

Index first_nonfinite_row(const Mat& x)
{
    for (Index i = 0; i < x.rows(); ++i)
        if (!x.row(i).allFinite())
            return i;
    return -1;
}

} // namespace

IntegrateStats integrate_fixed(Stepper& stepper, Mat& x, const IntegrateSettings& s,
                               const Observer& observe, const ProgressFn& progress)
{
    const Index n = x.rows();
    const double span = s.t1 - s.t0;
    const double h = std::copysign(std::abs(s.dt), span);
    const long steps = fixed_step_count(span, s.dt);
    const bool dense = s.output.dense();
    const long every = std::max(1, s.output.every);
    stepper.keep_dense(dense);

    std::vector<Index> all(static_cast<std::size_t>(n));
    std::iota(all.begin(), all.end(), Index(0));
    Emitter emitter(s.output, n, s.t0, s.t1);
    Vec tv = Vec::Constant(n, s.t0);
    if (dense) {
        for (Index i = 0; i < n; ++i)
            emitter.collect_initial(i, i, s.t0);
        emitter.emit(stepper, x, observe);
    } else {
        observe(all, tv, x);
    }

    const long evaluations_before = stepper.evaluations();
    // Large batches are split among threads (at least 64 rows each), for chunks of at least
    // 10^5 row-steps, so that starting the threads is paid back.
    std::vector<std::unique_ptr<Stepper>> workers;
    const Index parts = dense ? 1 : std::min<Index>(std::max(1, s.threads), n / 64);
    for (Index p = 0; parts > 1 && p < parts; ++p)
        workers.push_back(stepper.clone());
    // Steps go in chunks up to the next output (every-mode) or of one step (dense output), so
    // a fast stepper keeps its state in registers in between; chunks stay short enough for
    // the progress line.
    constexpr long max_chunk = 1 << 16;
    for (long k = 0; k < steps;) {
        const long k_end = std::min({dense ? k + 1 : (k / every + 1) * every, steps, k + max_chunk});
        const double t_end = k_end == steps ? s.t1 : s.t0 + static_cast<double>(k_end) * h;
        // Every step has size h but the last, which lands on t1.
        const double h_last = k_end == steps ? s.t1 - (s.t0 + static_cast<double>(steps - 1) * h) : h;
        const long failed = parts > 1 && (k_end - k) * n >= 100000
                                ? parallel_steps(workers, s.t0, h, k, k_end, h_last, x)
                                : stepper.steps(s.t0, h, k, k_end, h_last, x);
        if (failed != k_end) {
            const double tb = failed + 1 == steps ? s.t1 : s.t0 + static_cast<double>(failed + 1) * h;
            throw ComputeError("diverged: NaN or Inf in trajectory " +
                               std::to_string(first_nonfinite_row(x)) + " at t=" +
                               format_number(tb) + " (step " + std::to_string(failed + 1) + ")");
        }
        if (dense) {
            const double ta = s.t0 + static_cast<double>(k) * h;
            for (Index i = 0; i < n; ++i)
                emitter.collect(i, i, ta, t_end);
            emitter.emit(stepper, x, observe);
        } else if (k_end % every == 0 || k_end == steps) {
            tv.setConstant(t_end);
            observe(all, tv, x);
        }
        k = k_end;
        if (progress)
            progress(static_cast<double>(k) / static_cast<double>(steps));
    }
    IntegrateStats stats;
    stats.steps = steps * n;
    stats.evaluations = stepper.evaluations() - evaluations_before;
    for (const auto& w : workers)
        stats.evaluations += w->evaluations();
    return stats;
}

IntegrateStats integrate_adaptive(Dopri5& stepper, Mat& x, const IntegrateSettings& s,
                                  const Observer& observe, const ProgressFn& progress)
{
    constexpr double safety = 0.9, max_growth = 10.0, max_shrink = 0.2;
    const Index n = x.rows();
    const double dir = s.t1 >= s.t0 ? 1.0 : -1.0;
    const bool dense = s.output.dense();
    const long every = std::max(1, s.output.every);
    const long evaluations_before = stepper.evaluations();
    stepper.keep_dense(dense);

    // The active rows, compacted: row i of xa is trajectory ids[i].
    std::vector<Index> ids(static_cast<std::size_t>(n));
    std::iota(ids.begin(), ids.end(), Index(0));
    Mat xa = x, x_new, k1, k7;
    Vec t = Vec::Constant(n, s.t0), h = Vec::Constant(n, dir * std::abs(s.dt)), err;
    std::vector<long> accepted(static_cast<std::size_t>(n), 0), attempts(accepted);
    std::vector<char> rejected_last(static_cast<std::size_t>(n), 0);
    IntegrateStats stats;

    Emitter emitter(s.output, n, s.t0, s.t1);
    if (dense) {
        for (Index i = 0; i < n; ++i)
            emitter.collect_initial(i, i, s.t0);
        emitter.emit(stepper, x, observe);
    } else {
        observe(ids, t, x);
    }
    if (s.t1 == s.t0)
        return stats;
    stepper.eval(t, xa, k1);

    std::vector<Index> out_local, out_ids;
    std::vector<char> landed;
    long iteration = 0;
    while (!ids.empty()) {
        const Index m = static_cast<Index>(ids.size());
        landed.assign(static_cast<std::size_t>(m), 0);
        for (Index i = 0; i < m; ++i) {
            const double remaining = s.t1 - t(i);
            if (std::abs(h(i)) >= std::abs(remaining) * (1 - 1e-12)) {
                h(i) = remaining;
                landed[static_cast<std::size_t>(i)] = 1;
            }
        }
        stepper.attempt(t, h, xa, k1, x_new, k7, err);

        out_local.clear();
        for (Index i = 0; i < m; ++i) {
            const auto id = static_cast<std::size_t>(ids[static_cast<std::size_t>(i)]);
            ++attempts[id];
            const double e = err(i);
            if (e <= 1.0 && x_new.row(i).allFinite()) {
                const double ta = t(i);
                t(i) = landed[static_cast<std::size_t>(i)] ? s.t1 : t(i) + h(i);
                xa.row(i) = x_new.row(i);
                k1.row(i) = k7.row(i);
                ++accepted[id];
                ++stats.steps;
                double factor = e == 0 ? max_growth
                                       : std::clamp(safety * inverse_fifth_root(e), max_shrink, max_growth);
                if (rejected_last[id])
                    factor = std::min(factor, 1.0);
                rejected_last[id] = 0;
                if (!landed[static_cast<std::size_t>(i)])
                    h(i) *= factor;
                if (dense) {
                    emitter.collect(static_cast<Index>(id), i, ta, t(i));
                } else if (accepted[id] % every == 0 || t(i) == s.t1) {
                    out_local.push_back(i);
                }
            } else {
                ++stats.rejected;
                const double factor =
                    std::isfinite(e) ? std::max(max_shrink, safety * inverse_fifth_root(e)) : max_shrink;
                h(i) *= factor;
                rejected_last[id] = 1;
            }
            const double h_min = 16 * std::numeric_limits<double>::epsilon() *
                                 std::max(1.0, std::abs(t(i)));
            if (t(i) != s.t1 && std::abs(h(i)) < h_min)
                throw ComputeError("dopri5: step size underflow (h=" + format_number(h(i)) +
                                   ") at t=" + format_number(t(i)) + " in trajectory " +
                                   std::to_string(id));
            if (t(i) != s.t1 && attempts[id] >= s.max_steps)
                throw ComputeError("dopri5: more than " + std::to_string(s.max_steps) +
                                   " steps (--max-steps) in trajectory " + std::to_string(id) +
                                   ", at t=" + format_number(t(i)) + " with h=" +
                                   format_number(h(i)));
        }

        if (dense) {
            emitter.emit(stepper, xa, observe);
        } else if (!out_local.empty()) {
            const Index k_out = static_cast<Index>(out_local.size());
            out_ids.resize(out_local.size());
            Mat rows(k_out, xa.cols());
            Vec times(k_out);
            for (Index k = 0; k < k_out; ++k) {
                const Index i = out_local[static_cast<std::size_t>(k)];
                out_ids[static_cast<std::size_t>(k)] = ids[static_cast<std::size_t>(i)];
                rows.row(k) = xa.row(i);
                times(k) = t(i);
            }
            observe(out_ids, times, rows);
        }

        // Retire the rows that reached t1.
        Index kept = 0;
        for (Index i = 0; i < m; ++i) {
            const Index id = ids[static_cast<std::size_t>(i)];
            if (t(i) == s.t1) {
                x.row(id) = xa.row(i);
                continue;
            }
            if (kept != i) {
                ids[static_cast<std::size_t>(kept)] = id;
                xa.row(kept) = xa.row(i);
                k1.row(kept) = k1.row(i);
                t(kept) = t(i);
                h(kept) = h(i);
            }
            ++kept;
        }
        if (kept != m) {
            ids.resize(static_cast<std::size_t>(kept));
            xa.conservativeResize(kept, Eigen::NoChange);
            k1.conservativeResize(kept, Eigen::NoChange);
            t.conservativeResize(kept);
            h.conservativeResize(kept);
        }

        if (progress && (++iteration & 255) == 0 && kept > 0)
            progress(std::min(1.0, (t.array() - s.t0).abs().minCoeff() / std::abs(s.t1 - s.t0)));
    }
    stats.evaluations = stepper.evaluations() - evaluations_before;
    return stats;
}

} // namespace flowkit::ode
