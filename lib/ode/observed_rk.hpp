// Explicit Runge-Kutta through per-row observation times: the solver inside Neural ODE and CNF
// training. Every row steps on its own (its own times, its own step size under dopri5's error
// control) and lands exactly on each of its observation times, or, with dense output, steps past
// those in between and interpolates them; all rows are evaluated together, one call of the
// vector field per stage. The caller sees every stage (to add the parameter integral of the
// adjoint method) and every step (to record it for backpropagation, or to add the loss gradient
// at an observation).
#pragma once

#include "core/eigen.hpp"
#include "ode/observation_times.hpp"

#include <functional>
#include <string>
#include <vector>

namespace flowkit::ode {

struct SolverSettings
{
    std::string method = "dopri5";   ///< euler, midpoint, rk4 (fixed steps) or dopri5
    long steps_per_interval = 1;     ///< fixed-step methods: equal steps between observations
    double rtol = 1e-7, atol = 1e-9; ///< dopri5's tolerances
    long max_steps = 100000;         ///< dopri5: attempted steps per row and solve

    /// UsageError naming the option (prefix "--" + `prefix` for the tolerances, e.g.
    /// "adjoint-" gives --adjoint-rtol).
    void check(const std::string& prefix = "") const;
};

/// An explicit tableau; e (the embedded error weights) is empty for a fixed-step method.
struct RkScheme
{
    std::string name;
    int order = 0;
    Mat a;
    Vec b, c, e;
    Vec d; ///< dopri5's continuous extension (Hairer's contd5); empty for the others
    bool adaptive() const { return e.size() > 0; }
    bool has_dense_output() const { return d.size() > 0; }
    /// Dense output: x(t + theta h) = x + h sum_i w_i K_i, theta in [0, 1], with
    /// w(theta) = alpha b + beta d + gamma e_first - delta e_last (w(1) = b; it uses the last
    /// stage, F(t + h, x_new)). With the sums b.K and d.K of a step, every observation in it
    /// takes four terms, not one per stage.
    struct DenseTerms
    {
        double alpha, beta, gamma, delta;
    };
    static DenseTerms dense_terms(double theta);
};

/// euler, midpoint, rk4, dopri5 (7 stages, the last at x_new); UsageError naming --solver else.
RkScheme rk_scheme(const std::string& method);

/// How a solver's messages name row r of its batch ("traj 7", "input row 12").
using RowLabel = std::function<std::string(Index r)>;

class ObservedRk
{
public:
    /// K = F(t, Y) for one stage (stage -1: an evaluation for the initial step size), for the
    /// rows that move in this step only: row k of t, h, Y and K is the batch's row
    /// moving_rows()[k]. h is each row's step.
    using StageFn = std::function<void(int stage, const Vec& t, const Vec& h, const Mat& Y, Mat& K)>;

    /// An observation inside an accepted step, interpolated (dense output).
    struct Passed
    {
        Index row, observation;
        double theta; ///< (time - step start) / h, in (0, 1]
    };

    /// An attempted step, after the accepted rows of x were advanced. The step function may
    /// take t, h and Y (swap them for matrices of its own): the solver sets them afresh every
    /// step.
    struct Step
    {
        Vec& t;               ///< each row's time at the start of the step
        Vec& h;               ///< each row's step (0 for a row that is done)
        std::vector<Mat>& Y;  ///< the stage inputs, one per stage
        const std::vector<char>& accepted; ///< per row (a row that is done counts as accepted)
        const std::vector<Index>& landed;  ///< per row: the observation reached, or -1
        const std::vector<Passed>& passed; ///< dense output: the observations stepped past
        const Mat& passed_states;          ///< their states, one row per entry of passed
    };
    /// May change the rows of x that landed (only without FSAL).
    using StepFn = std::function<void(const Step& step, Mat& x)>;

    /// fsal: reuse dopri5's last stage as the next step's first (only when the step function
    /// leaves x alone). dense: interpolate the observations between a row's first and last
    /// instead of landing on them (only for a scheme with dense output; the step function may
    /// then change no row).
    ObservedRk(RkScheme scheme, SolverSettings settings, bool fsal, bool dense = false);

    const RkScheme& scheme() const { return m_scheme; }
    /// How error messages name a row (default: "trajectory r").
    void label_rows(RowLabel label) { m_label = std::move(label); }
    std::string row_label(Index r) const;
    /// Steps every row of x (on entry its state at its first time) through all its times.
    /// ComputeError (naming row and time) for a non-finite state, too many steps or a step size
    /// that underflows.
    void run(const ObservationTimes& times, Mat& x, const StageFn& stage, const StepFn& on_step);
    /// Vector-field evaluations in the last run, summed over the rows (a stage call counts the
    /// rows it evaluates: only those still moving).
    long evaluations() const { return m_evaluations; }
    /// During a stage call: the batch row of each row of its arguments.
    const std::vector<Index>& moving_rows() const { return m_moving; }

private:
    /// Hairer's starting step (Solving ODEs I, II.4) for every row not yet done.
    void initial_steps(const ObservationTimes& times, const Mat& x, const StageFn& stage);
    /// Dense output: records in m_passed the observations that row r's accepted step reached.
    void pass_observations(const ObservationTimes& times, Index r, double t_start);
    /// m_passed_states from the step's stages.
    void interpolate_passed();
    /// out = x + H sum_j w(j) K_j over the stages j < count with w(j) != 0 (H = diag(m_hs)).
    template <class Weights>
    void combine_stages(const Mat& x, const Weights& w, Index count, Mat& out);

    RkScheme m_scheme;
    SolverSettings m_settings;
    bool m_fsal, m_dense;
    RowLabel m_label;
    long m_evaluations = 0;
    // Per row: time, step proposal, current observation index, steps in the current interval.
    Vec m_t, m_h, m_hs, m_ts, m_err, m_err_power, m_t_start;
    Eigen::ArrayXXd m_scale; // the error norm's atol + rtol |x|
    Eigen::ArrayXd m_finiteness; // per row of the step's x_new: 0 if finite (row_finiteness)
    std::vector<Index> m_at, m_landed;
    std::vector<long> m_sub, m_attempts;
    std::vector<char> m_accepted, m_rejected_last, m_landing;
    std::vector<Passed> m_passed;
    std::vector<Mat> m_Y, m_K;
    std::vector<Index> m_moving; // the rows with a step to take (h != 0)
    std::vector<Index> m_terms;  // combine_stages' stages with a nonzero weight
    Vec m_moving_t, m_moving_h;
    Mat m_moving_Y, m_moving_K;
    Mat m_k1, m_x_new, m_sum, m_passed_states;
    Mat m_bK, m_dK; // dense output: b.K and d.K of the step
};

} // namespace flowkit::ode
