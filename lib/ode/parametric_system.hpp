// A System whose vector field has trainable parameters theta (DESIGN.md "The System and Stepper
// contracts": the adjoint needs, besides vjp, the parameter VJP (dF/dtheta)^T a).
#pragma once

#include "ode/system.hpp"

namespace flowkit::ode {

class ParametricSystem : public System
{
public:
    virtual Index num_params() const = 0;

    /// In one pass: f = F(t, x) (skipped when f is null), xbar = (dF/dx)^T a row by row, and
    /// grad += sum_i w_i (dF/dtheta)(t_i, x_i)^T a_i (every w_i = 1 when w is null); grad has
    /// num_params() entries, or none for xbar alone. The weights let a quadrature of the
    /// parameter integral of the adjoint method fold its step sizes into one sum.
    virtual void vjp_params(const Vec& t, const Mat& x, const Mat& a, const Vec* w, Mat* f,
                            Mat& xbar, Eigen::Ref<Vec> grad) const = 0;
};

} // namespace flowkit::ode
