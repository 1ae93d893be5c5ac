// Base of the classical steppers: bound to a System, with cubic Hermite dense output from the
// end values and slopes of the last step.
#pragma once

#include "ode/stepper.hpp"
#include "ode/system.hpp"

namespace flowkit::ode {

class SystemStepper : public Stepper
{
public:
    explicit SystemStepper(const System& system) : m_system(system) {}

    void step(const Vec& t, const Vec& h, Mat& x) final;
    void dense(const std::vector<Index>& rows, const Vec& theta, Mat& out) const override;

protected:
    /// The method itself: advance x in place.
    virtual void advance(const Vec& t, const Vec& h, Mat& x) = 0;
    /// f = F(t, x), counted.
    void eval(const Vec& t, const Mat& x, Mat& f) const;

    const System& m_system;

private:
    Vec m_t0, m_h;  // last step
    Mat m_x0, m_x1; // its end states (kept only for dense output)
};

} // namespace flowkit::ode
