// Implicit Runge-Kutta methods solved by Newton's method with the system's Jacobian products:
// implicit Euler, the implicit midpoint rule and Gauss-Legendre collocation with 1, 2, 3 stages
// (gauss2 = implicit midpoint, gauss4, gauss6; orders 2, 4, 6, symplectic; notes: "Polynomial
// collocation methods").
#pragma once

#include "ode/explicit_rk.hpp"

namespace flowkit::ode {

ButcherTableau implicit_euler_tableau();
ButcherTableau implicit_midpoint_tableau();
/// Gauss-Legendre collocation with `stages` = 1, 2 or 3 (orders 2, 4, 6).
ButcherTableau gauss_tableau(int stages);

class ImplicitRK : public SystemStepper
{
public:
    /// Newton stops when the scaled update h |dK| / (1 + |x|) is below `tol` (max norm over
    /// rows and components), or once below 1e-10 when it stops shrinking (round-off floor).
    ImplicitRK(const System& system, ButcherTableau tableau, double tol = 1e-14,
               int max_iterations = 30);
    std::string name() const override { return m_tab.name; }
    int order() const override { return m_tab.order; }
    std::unique_ptr<Stepper> clone() const override { return fresh_copy(*this); }

protected:
    /// ComputeError with the time when Newton does not converge or the state is not finite.
    void advance(const Vec& t, const Vec& h, Mat& x) override;

private:
    ButcherTableau m_tab;
    double m_tol;
    int m_max_iterations;
    std::vector<Mat> m_k;         // stage slopes K_i, n x d each
    Mat m_y, m_f, m_e, m_jcol;    // stacked stage states (s n x d), their slopes, unit directions
    std::vector<Mat> m_jac;       // m_jac[j]: column j of the Jacobian at every stage state
    Vec m_ty;                     // stage times, stacked
};

} // namespace flowkit::ode
