// Explicit symplectic methods for separable Hamiltonians H = T(p) + V(q): symplectic Euler,
// Stormer-Verlet (leapfrog, kick-drift-kick) and Yoshida's 4th-order composition of Verlet.
#pragma once

#include "ode/system_stepper.hpp"

namespace flowkit::ode {

class SymplecticStepper : public SystemStepper
{
public:
    enum class Kind { euler, verlet, yoshida4 };
    /// UsageError (exit 64) unless the system is a separable Hamiltonian.
    SymplecticStepper(const System& system, Kind kind);
    std::string name() const override;
    int order() const override;
    std::unique_ptr<Stepper> clone() const override { return fresh_copy(*this); }

protected:
    void advance(const Vec& t, const Vec& h, Mat& x) override;

    Kind m_kind;

private:
    /// One Verlet step of size w h: p -= w h/2 dV/dq; q += w h dT/dp; p -= w h/2 dV/dq.
    void verlet(const Vec& h, double w, Mat& x);
    void kick(const Vec& h, double w, Mat& x);  // p -= w h dV/dq(q)
    void drift(const Vec& h, double w, Mat& x); // q += w h dT/dp(p)

    Index m_n; // degrees of freedom
    Mat m_q, m_p, m_g;
};

} // namespace flowkit::ode
