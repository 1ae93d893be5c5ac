// Test objectives for the optimisers (nn::Adam, nn::Lbfgs): closed-form functions with known
// minima, each counting its evaluations.
#pragma once

#include "nn/objective.hpp"

namespace flowkit::test {

/// f = 1/2 sum_i c_i (x_i - a_i)^2, minimum 0 at a.
struct Quadratic : nn::Objective
{
    Vec c, a;
    long long evaluations = 0;
    double evaluate_with_gradient(const Vec& x, Vec& g) override
    {
        ++evaluations;
        g = c.cwiseProduct(x - a);
        return 0.5 * (x - a).cwiseAbs2().dot(c);
    }
};

/// f = (1 - x)^2 + 100 (y - x^2)^2, minimum 0 at (1, 1).
struct Rosenbrock : nn::Objective
{
    long long evaluations = 0;
    double evaluate_with_gradient(const Vec& x, Vec& g) override
    {
        ++evaluations;
        const double u = 1.0 - x(0), w = x(1) - x(0) * x(0);
        g.resize(2);
        g(0) = -2.0 * u - 400.0 * x(0) * w;
        g(1) = 200.0 * w;
        return u * u + 100.0 * w * w;
    }
};

/// Constant f = 0, g = 0.
struct Flat : nn::Objective
{
    long long evaluations = 0;
    double evaluate_with_gradient(const Vec& x, Vec& g) override
    {
        ++evaluations;
        g = Vec::Zero(x.size());
        return 0.0;
    }
};

/// Linear f = s . x: a constant gradient s, unbounded below.
struct Linear : nn::Objective
{
    Vec s;
    long long evaluations = 0;
    double evaluate_with_gradient(const Vec& x, Vec& g) override
    {
        ++evaluations;
        g = s;
        return s.dot(x);
    }
};

} // namespace flowkit::test
