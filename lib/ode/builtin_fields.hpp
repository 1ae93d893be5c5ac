// The formulas of the built-in systems, written once as templates that work on doubles (one
// state, the fast path) and on Eigen column arrays (a batch, vectorised over rows). Outputs
// are taken as forwarding references so that Eigen column blocks can be written through.
#pragma once

#include <Eigen/Core>

#include <cmath>

namespace flowkit::ode::fields {

/// A value used more than once: evaluated into a temporary for Eigen expressions.
inline double once(double v) { return v; }
template <class E> auto once(const Eigen::ArrayBase<E>& e) { return e.eval(); }

using std::cos;
using std::sin;
using std::sqrt;

/// Pendulum: dV/dq = sin q, times `sign`.
template <class X, class G> void pendulum_grad_V(double sign, const X& q, G&& g)
{
    g = sign * sin(q);
}

/// Henon-Heiles: dV/dq = (x + 2 lambda x y, y + lambda (x^2 - y^2)), times `sign`.
template <class X, class G>
void henon_heiles_grad_V(double lambda, double sign, const X& x, const X& y, G&& gx, G&& gy)
{
    // Written for a short chain of dependent operations (this is the hot loop of long runs).
    gx = sign * x + (sign * 2.0 * lambda) * (x * y);
    gy = sign * y + (sign * lambda) * (x * x - y * y);
}

/// Kepler: dV/dq = mu q / |q|^3, times `sign`.
template <class X, class G>
void kepler_grad_V(double mu, double sign, const X& x, const X& y, G&& gx, G&& gy)
{
    const auto r2 = once(x * x + y * y);
    const auto k = once(sign * mu / (r2 * sqrt(r2)));
    gx = k * x;
    gy = k * y;
}

/// Damped oscillator: (q, p)' = (p, -k q + gamma p).
template <class X, class F>
void damped_field(double k, double gamma, const X& q, const X& p, F&& fq, F&& fp)
{
    fq = p;
    fp = -k * q + gamma * p;
}

/// Lotka-Volterra: (alpha x - beta x y, delta x y - gamma y).
template <class X, class F>
void lotka_volterra_field(double alpha, double beta, double gamma, double delta, const X& x,
                          const X& y, F&& fx, F&& fy)
{
    fx = x * (alpha - beta * y);
    fy = y * (delta * x - gamma);
}

/// Van der Pol: (y, mu (1 - x^2) y - x).
template <class X, class F> void van_der_pol_field(double mu, const X& x, const X& y, F&& fx, F&& fy)
{
    fx = y;
    fy = mu * (1.0 - x * x) * y - x;
}

/// Lorenz: (sigma (y - x), x (rho - z) - y, x y - beta z).
template <class X, class F>
void lorenz_field(double sigma, double rho, double beta, const X& x, const X& y, const X& z,
                  F&& fx, F&& fy, F&& fz)
{
    fx = sigma * (y - x);
    fy = x * (rho - z) - y;
    fz = x * y - beta * z;
}

/// Double pendulum (unit masses, lengths, gravity), d = q1 - q2, w = 1 + sin^2 d:
/// grad H for S = double or a dual number type.
template <class S> void double_pendulum_grad_H(const S& q1, const S& q2, const S& p1, const S& p2, S g[4])
{
    const S d = q1 - q2;
    const S s = sin(d), c = cos(d);
    const S w = 1.0 + s * s;
    const S num = p1 * p1 + 2.0 * (p2 * p2) - 2.0 * (p1 * (p2 * c));
    // d/dd of num / (2 w) = (2 p1 p2 s) / (2 w) - num (2 s c) / (2 w^2)
    const S dd = (p1 * (p2 * s)) / w - (num * (s * c)) / (w * w);
    g[0] = dd + 2.0 * sin(q1);
    g[1] = sin(q2) - dd;
    g[2] = (p1 - p2 * c) / w;
    g[3] = (2.0 * p2 - p1 * c) / w;
}

} // namespace flowkit::ode::fields
