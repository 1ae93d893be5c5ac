// Gradients of a loss of the states at observation times with respect to the initial states and
// the parameters of a ParametricSystem, two ways (lecture notes "How to train them: discrete vs
// continuous adjoint method"):
// - ForwardSolve::backward, the discrete adjoint: backpropagation through the recorded steps of
//   the forward solve (every stage of every accepted step and dopri5's dense output at the
//   observations in between, the step sizes held fixed), the exact gradient of the computed
//   solution. Only the stage inputs are recorded: the reverse pass
//   evaluates each stage again with its VJP, which costs less than storing and re-reading a
//   network's activations for every stage of a solve (node-fit's benchmark: half the time;
//   keeping only the hidden layer's values, a copy per stage, 7.9 against 6.8 ms an iteration
//   on two threads at the start of training);
// - continuous_adjoint: [y, a] integrated backward from each row's last observation with
//   y' = F(t, y), a' = -(dF/dy)^T a, and the parameter integral of (dF/dtheta)^T a dt taken
//   with the same quadrature; at each observation y is reset to the forward solution (as
//   torchdiffeq does) and a += dL/dy. The error control covers y and a but not the integral
//   (a seminorm: Kidger, Chen and Lyons, "Hey, that's not an ODE", 2021).
#pragma once

#include "ode/observed_rk.hpp"
#include "ode/parametric_system.hpp"

#include <string>
#include <utility>
#include <vector>

namespace flowkit::ode {

/// How a training loss differentiates through a solve (--grad).
enum class GradientMethod
{
    backprop, ///< ForwardSolve::backward
    adjoint   ///< ContinuousAdjoint
};
/// "backprop", "adjoint"; UsageError naming --grad otherwise.
GradientMethod parse_gradient_method(const std::string& name);

class ForwardSolve
{
public:
    explicit ForwardSolve(SolverSettings settings);

    /// states (one row per observation, in the layout of times.t) = the solution at each
    /// observation; row r of x0 is at its first. With record, keeps what backward() needs.
    void run(const ParametricSystem& f, const ObservationTimes& times, const Mat& x0, Mat& states,
             bool record);
    /// Backpropagation through the last recorded run: given states_grad = dL/dstates,
    /// x0_grad = dL/dx0 and grad += dL/dtheta.
    void backward(const ParametricSystem& f, const ObservationTimes& times,
                  const Mat& states_grad, Mat& x0_grad, Eigen::Ref<Vec> grad);

    /// How error messages name a row of the batch.
    void label_rows(RowLabel label) { m_rk.label_rows(std::move(label)); }
    /// Evaluations of the field in the last run and of its VJP in the last backward(), summed
    /// over the rows evaluated (ObservedRk::evaluations).
    long forward_evaluations() const { return m_rk.evaluations(); }
    long backward_evaluations() const { return m_backward_evaluations; }

private:
    struct Step
    {
        Vec t, h;             // h is 0 for the rows the step did not move
        std::vector<Mat> Y;   // the stage inputs
        std::vector<std::pair<Index, Index>> landed; // (row, observation)
        std::vector<ObservedRk::Passed> passed;      // observations interpolated in the step
    };
    /// Per row, the sums over a step's passed observations p of alpha_p sbar_p, beta_p sbar_p,
    /// ... (RkScheme::dense_terms; sbar_p the loss gradient at p), n x d; any: a step with some.
    struct PassedSums
    {
        Mat alpha, beta, gamma, delta;
        bool any = false;
    };

    ObservedRk m_rk;
    std::vector<char> m_matters; // stage i reaches x_new (b_i != 0 or a later stage uses it)
    std::vector<Step> m_steps;   // reused between runs
    std::size_t m_recorded = 0;
    long m_backward_evaluations = 0;
    Mat m_xbar, m_kbar, m_last_part, m_unused;
    PassedSums m_sums[2]; // of the step being reversed and of the one before it
    std::vector<Mat> m_ybar;
    std::vector<Index> m_rows;   // the rows of one VJP, and their arguments
    Vec m_rows_t, m_abs_sums;
    Mat m_rows_y, m_rows_kbar, m_rows_ybar;
};

class ContinuousAdjoint
{
public:
    explicit ContinuousAdjoint(SolverSettings settings);

    /// From the forward solution at the observations (states) and dL/dstates: x0_grad = dL/dx0
    /// and grad += dL/dtheta. ComputeError when the backward solve produces NaN or Inf.
    void backward(const ParametricSystem& f, const ObservationTimes& times, const Mat& states,
                  const Mat& states_grad, Mat& x0_grad, Eigen::Ref<Vec> grad);

    /// How error messages name a row of the batch.
    void label_rows(RowLabel label) { m_rk.label_rows(std::move(label)); }
    /// Evaluations (the field with its VJP) in the last backward(), summed over the rows.
    long evaluations() const { return m_rk.evaluations(); }

private:
    ObservedRk m_rk;
    Mat m_F, m_xbar, m_y, m_a, m_rows;
    Vec m_w, m_no_params; // m_no_params: empty, for the stages outside the quadrature
};

} // namespace flowkit::ode
