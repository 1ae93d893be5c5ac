// What an optimiser minimises: ensmallen's EvaluateWithGradient / LBFGSpp's f(x, grad)
// (STYLE.md 6.3). The optimiser knows nothing of networks.
#pragma once

#include "core/eigen.hpp"

namespace flowkit::nn {

struct Objective
{
    /// Returns f(theta) and writes df/dtheta into grad (resized by the callee).
    virtual double evaluate_with_gradient(const Vec& theta, Vec& grad) = 0;
    virtual ~Objective() = default;
};

} // namespace flowkit::nn
