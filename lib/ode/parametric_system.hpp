// A System whose vector field has trainable parameters theta (DESIGN.md "The System and Stepper
// contracts": the adjoint needs, besides vjp, the parameter VJP (dF/dtheta)^T a).
#pragma once

#include "ode/system.hpp"

#include <memory>

namespace flowkit::ode {

/// What an evaluation keeps for a VJP at the same point later (a network's activations).
struct EvaluationMemo
{
    virtual ~EvaluationMemo() = default;
};

class ParametricSystem : public System
{
public:
    virtual Index num_params() const = 0;

    /// In one pass: f = F(t, x) (skipped when f is null), xbar = (dF/dx)^T a row by row, and
    /// grad += sum_i w_i (dF/dtheta)(t_i, x_i)^T a_i (every w_i = 1 when w is null); grad has
    /// num_params() entries. The weights let a quadrature of the parameter integral of the
    /// adjoint method fold its step sizes into one sum.
    virtual void vjp_params(const Vec& t, const Mat& x, const Mat& a, const Vec* w, Mat* f,
                            Mat& xbar, Eigen::Ref<Vec> grad) const = 0;

    /// f = F(t, x), keeping in memo (created, or reused when it is of the right kind) what
    /// vjp_params_at needs, so that backpropagation through a recorded solve does not evaluate
    /// every stage twice. By default nothing is kept.
    virtual void rhs_keep(const Vec& t, const Mat& x, Mat& f,
                          std::unique_ptr<EvaluationMemo>& /*memo*/) const
    {
        rhs(t, x, f);
    }
    /// vjp_params (without f) at the point of an earlier rhs_keep with the same t and x (memo
    /// null: computed afresh).
    virtual void vjp_params_at(EvaluationMemo* /*memo*/, const Vec& t, const Mat& x,
                               const Mat& a, const Vec* w, Mat& xbar, Eigen::Ref<Vec> grad) const
    {
        vjp_params(t, x, a, w, nullptr, xbar, grad);
    }
};

} // namespace flowkit::ode
