// Dormand-Prince 5(4) (Hairer, Norsett & Wanner, Solving ODEs I, II.5): embedded error
// estimate, FSAL, and its 4th-order continuous extension for dense output.
#pragma once

#include "ode/system_stepper.hpp"

#include <array>

namespace flowkit::ode {

class Dopri5 : public Stepper
{
public:
    Dopri5(const System& system, double rtol, double atol);
    std::string name() const override { return "dopri5"; }
    int order() const override { return 5; }
    std::unique_ptr<Stepper> clone() const override { return fresh_copy(*this); }

    /// A step without error control (the Stepper contract).
    void step(const Vec& t, const Vec& h, Mat& x) override;

    /// One trial step: k1 = F(t, x) on entry (first same as last); x_new the 5th-order result,
    /// k7 = F(t + h, x_new), err(i) the RMS over components of the 4th/5th-order difference of
    /// row i scaled by atol + rtol max(|x|, |x_new|): the step is acceptable when err <= 1.
    virtual void attempt(const Vec& t, const Vec& h, const Mat& x, const Mat& k1, Mat& x_new,
                         Mat& k7, Vec& err);

    /// Dense output of the last step or attempt.
    void dense(const std::vector<Index>& rows, const Vec& theta, Mat& out) const override;

    /// f = F(t, x), counted.
    void eval(const Vec& t, const Mat& x, Mat& f) const;

protected:
    const System& m_system;
    double m_rtol, m_atol;
    std::array<Mat, 7> m_k; // stages of the last attempt
    Mat m_x0, m_x1;         // its end states (kept only for dense output)
    Vec m_h;                // its step sizes

private:
    Mat m_y;
    Vec m_ts;
};

} // namespace flowkit::ode
