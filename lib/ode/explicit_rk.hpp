// Explicit Runge-Kutta methods given by a Butcher tableau: euler, midpoint, rk4.
#pragma once

#include "ode/system_stepper.hpp"

namespace flowkit::ode {

struct ButcherTableau
{
    std::string name;
    int order;
    Mat a; ///< s x s, strictly lower triangular
    Vec b; ///< weights
    Vec c; ///< nodes
};

ButcherTableau euler_tableau();
ButcherTableau midpoint_tableau();
ButcherTableau rk4_tableau();

class ExplicitRK : public SystemStepper
{
public:
    ExplicitRK(const System& system, ButcherTableau tableau);
    std::string name() const override { return m_tab.name; }
    int order() const override { return m_tab.order; }

protected:
    void advance(const Vec& t, const Vec& h, Mat& x) override;

private:
    ButcherTableau m_tab;
    std::vector<Mat> m_k; // stage slopes
    Mat m_acc, m_y;       // sum of a_ij k_j; stage state
    Vec m_ts;             // stage times
};

} // namespace flowkit::ode
