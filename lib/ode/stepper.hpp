// The Stepper contract (DESIGN.md): advance a batch of rows, each at its own time, by its own
// step; report the order; give dense output inside the last step. A learned flow map is a
// Stepper too, so nothing here refers to a System.
#pragma once

#include "core/eigen.hpp"

#include <memory>
#include <string>
#include <vector>

namespace flowkit::ode {

class Stepper
{
public:
    virtual ~Stepper() = default;

    virtual std::string name() const = 0;
    virtual int order() const = 0;
    /// An independent copy (its own buffers) for another thread; evaluations restart at 0.
    virtual std::unique_ptr<Stepper> clone() const = 0;

    /// Advances row i of x from time t(i) by h(i) (n x dim; t, h: n).
    virtual void step(const Vec& t, const Vec& h, Mat& x) = 0;

    /// Dense output inside the last step: out.row(k) approximates the state of row rows[k] of
    /// that step at t(rows[k]) + theta(k) h(rows[k]), 0 <= theta <= 1. Only valid while
    /// keep_dense(true) was set before the step.
    virtual void dense(const std::vector<Index>& rows, const Vec& theta, Mat& out) const = 0;

    /// Steps k = k_begin, ..., k_end - 1 from t0 + k h, of size h except the last, of size
    /// h_last (h, or what lands on t1 at the end of the run). Returns the first k after which
    /// the state holds NaN or Inf, or k_end. Steppers with a fast path override it to keep one
    /// state in registers across steps.
    virtual long steps(double t0, double h, long k_begin, long k_end, double h_last, Mat& x);

    /// Asks the stepper to keep what dense() needs (off by default: it costs a copy per step).
    void keep_dense(bool on) { m_keep_dense = on; }

    /// Vector-field evaluations so far, counted per row (a flow map counts its evaluations).
    long evaluations() const { return m_evaluations; }
    void reset_evaluations() { m_evaluations = 0; }

protected:
    bool m_keep_dense = false;
    mutable long m_evaluations = 0;
};

/// A copy of `s` with its evaluation count reset: the body of every clone().
template <class S> std::unique_ptr<Stepper> fresh_copy(const S& s)
{
    auto copy = std::make_unique<S>(s);
    copy->reset_evaluations();
    return copy;
}

/// Cubic Hermite interpolation between (x0, f0) and (x1, f1) over a step of size h, the dense
/// output of steppers without an interpolant of their own.
/// out = h00 x0 + h10 h f0 + h01 x1 + h11 h f1, the h.. the Hermite basis at theta.
void hermite(const Mat& x0, const Mat& f0, const Mat& x1, const Mat& f1, const Vec& h,
             const Vec& theta, Mat& out);

} // namespace flowkit::ode
