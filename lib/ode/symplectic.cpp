#include "ode/symplectic.hpp"

#include "core/error.hpp"

#include <cmath>

namespace flowkit::ode {

namespace {
const char* kind_name(SymplecticStepper::Kind k)
{
    switch (k) {
    case SymplecticStepper::Kind::euler: return "symplectic-euler";
    case SymplecticStepper::Kind::verlet: return "verlet";
    case SymplecticStepper::Kind::yoshida4: return "yoshida4";
    }
    return "";
}
} // namespace

SymplecticStepper::SymplecticStepper(const System& system, Kind kind)
    : SystemStepper(system), m_kind(kind), m_n(system.dim() / 2)
{
    if (!system.hamiltonian() || !system.separable())
        throw UsageError(std::string(kind_name(kind)) +
                         " needs a separable Hamiltonian H = T(p) + V(q); this system " +
                         (system.hamiltonian() ? "has a non-separable Hamiltonian"
                                               : "is not Hamiltonian") +
                         " (use gauss4, rk4 or dopri5)");
}

std::string SymplecticStepper::name() const { return kind_name(m_kind); }

int SymplecticStepper::order() const
{
    switch (m_kind) {
    case Kind::euler: return 1;
    case Kind::verlet: return 2;
    case Kind::yoshida4: return 4;
    }
    return 0;
}

void SymplecticStepper::kick(const Vec& h, double w, Mat& x)
{
    m_q = x.leftCols(m_n);
    m_system.grad_V(m_q, m_g);
    m_evaluations += x.rows();
    x.rightCols(m_n).noalias() -= w * (h.asDiagonal() * m_g);
}

void SymplecticStepper::drift(const Vec& h, double w, Mat& x)
{
    m_p = x.rightCols(m_n);
    m_system.grad_T(m_p, m_g);
    x.leftCols(m_n).noalias() += w * (h.asDiagonal() * m_g);
}

void SymplecticStepper::verlet(const Vec& h, double w, Mat& x)
{
    kick(h, 0.5 * w, x);
    drift(h, w, x);
    kick(h, 0.5 * w, x);
}

void SymplecticStepper::advance(const Vec&, const Vec& h, Mat& x)
{
    switch (m_kind) {
    case Kind::euler:
        // p_{n+1} = p_n - h dV/dq(q_n), q_{n+1} = q_n + h dT/dp(p_{n+1})
        kick(h, 1.0, x);
        drift(h, 1.0, x);
        break;
    case Kind::verlet: verlet(h, 1.0, x); break;
    case Kind::yoshida4: {
        // Yoshida (1990): w1 = 1/(2 - 2^(1/3)), w0 = -2^(1/3)/(2 - 2^(1/3)), steps w1, w0, w1.
        const double cbrt2 = std::cbrt(2.0);
        const double w1 = 1.0 / (2.0 - cbrt2);
        const double w0 = -cbrt2 / (2.0 - cbrt2);
        verlet(h, w1, x);
        verlet(h, w0, x);
        verlet(h, w1, x);
        break;
    }
    }
}

} // namespace flowkit::ode
