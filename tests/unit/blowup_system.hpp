// x' = x^2 from x(0) = 1: x = 1/(1 - t) blows up at t = 1. For failure paths.
#pragma once

#include "ode/system.hpp"

namespace flowkit::test {

class Blowup : public ode::System
{
public:
    Blowup() { m_names = {"x"}; }
    void rhs(const Vec&, const Mat& x, Mat& f) const override { f = x.array().square(); }
    void jvp(const Vec&, const Mat& x, const Mat& v, Mat& out) const override
    {
        out = 2 * x.array() * v.array();
    }
    void vjp(const Vec&, const Mat& x, const Mat& a, Mat& out) const override
    {
        out = 2 * x.array() * a.array();
    }
};

} // namespace flowkit::test
