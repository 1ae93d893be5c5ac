// L-BFGS (Nocedal & Wright, Numerical Optimization, 2nd ed., Alg. 7.4 two-loop recursion and
// Alg. 3.5/3.6 strong-Wolfe line search with safeguarded cubic interpolation) over any
// Objective. One call of step() is one iteration (one epoch of the training loop).
#pragma once

#include "nn/objective.hpp"

#include <string>
#include <vector>

namespace flowkit::nn {

struct LbfgsParams
{
    int memory = 10;            ///< curvature pairs kept (--lbfgs-memory), >= 1
    double grad_tol = 1e-9;     ///< stop when ||g||_2 <= grad_tol * max(1, ||theta||_2) (--grad-tol), >= 0
    double ftol = 1e-14;        ///< no progress: f_old - f_new <= ftol * max(|f_old|, |f_new|), >= 0
    int max_line_search = 25;   ///< objective evaluations per line search, >= 1
    double c1 = 1e-4;           ///< sufficient decrease (Armijo), in (0, c2)
    double c2 = 0.9;            ///< curvature (strong Wolfe), in (c1, 1)

    /// Throws UsageError naming the option: "--lbfgs-memory must be >= 1 (got 0)".
    void check() const;
};

/// Why L-BFGS stopped. `none`: it can go on.
enum class LbfgsStop
{
    none,
    gradient_tolerance, ///< ||g|| small at the current point
    no_progress,        ///< an accepted step decreased f by less than ftol relative, or no
                        ///< step could, f being flat to ftol relative along -g
    line_search_failure ///< no acceptable step along the direction nor along -g
};
/// "gradient tolerance", "no progress", "line-search failure" ("" for none).
std::string to_string(LbfgsStop stop);

/// Everything L-BFGS carries between iterations (save it to resume exactly).
struct LbfgsState
{
    Vec x;                 ///< the current point (empty before the first step)
    double f = 0;          ///< f(x)
    Vec g;                 ///< grad f(x)
    std::vector<Vec> s;    ///< x_{k+1} - x_k, oldest first, at most `memory`
    std::vector<Vec> y;    ///< g_{k+1} - g_k, paired with s
    long long iterations = 0; ///< accepted steps (a call that stops without moving is none)
    LbfgsStop stop = LbfgsStop::none;
};

class Lbfgs
{
public:
    /// Checks params (UsageError).
    explicit Lbfgs(const LbfgsParams& params);

    /// One iteration from theta (overwritten with the accepted point). When theta is not the
    /// state's x (first call, or a point set from outside), f and g are evaluated at theta first
    /// and the memory is cleared. Then: gradient test (stop without moving), direction by the
    /// two-loop recursion (H0 = s'y / y'y; -g when the memory is empty or the direction is not
    /// one of descent), strong-Wolfe line search from step 1 (from min(1, 1/||g||) with empty
    /// memory); a trial point with non-finite f or g counts as too long a step. If the search
    /// fails with a non-empty memory, the memory is cleared and -g tried once more; if that
    /// fails too, stop = line_search_failure and theta is unchanged. A pair with s'y <= 1e-12
    /// y'y is not stored (keeps H positive definite). Returns f at the (new) theta.
    /// Throws ComputeError if f or g at the starting theta is not finite, std::invalid_argument
    /// if g's size is not theta's. Once stopped, calls at the same theta return f without
    /// evaluating.
    double step(Objective& f, Vec& theta);

    LbfgsStop stop() const { return m_state.stop; }
    /// The step length alpha along the direction that the last step() accepted; 0 if it did
    /// not move.
    double last_step_length() const { return m_last_step; }
    /// Objective evaluations so far (all calls of evaluate_with_gradient by this object).
    long long evaluations() const { return m_evaluations; }

    const LbfgsParams& params() const { return m_params; }
    const LbfgsState& state() const { return m_state; }
    /// Restores a saved state (for resume); sizes must agree (std::invalid_argument otherwise).
    void set_state(const LbfgsState& state);

private:
    LbfgsParams m_params;
    LbfgsState m_state;
    long long m_evaluations = 0;
    double m_last_step = 0;
};

/// Runs up to max_iterations L-BFGS steps from theta (overwritten) until a stop reason is
/// reached. Returns f at the final theta; `stop`, when given, receives the reason
/// (LbfgsStop::none: the iteration limit was reached).
double minimize_lbfgs(Objective& f, Vec& theta, const LbfgsParams& params, long max_iterations,
                      LbfgsStop* stop = nullptr, long long* evaluations = nullptr);

} // namespace flowkit::nn
