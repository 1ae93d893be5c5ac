// Built-in systems without a canonical Hamiltonian, with analytic Jacobian products and inline
// one-state versions (point_rhs) for the fixed-size fast path.
#pragma once

#include "ode/builtin_fields.hpp"
#include "ode/system.hpp"

namespace flowkit::ode {

/// The parametric oscillator of the notes: q' = p, p' = -k q + gamma p (gamma < 0 damps).
class Damped : public System
{
public:
    Damped(double k, double gamma);
    static constexpr int point_dim = 2;
    void point_rhs(const double* x, double* f) const
    {
        fields::damped_field(m_k, m_gamma, x[0], x[1], f[0], f[1]);
    }
    void rhs(const Vec& t, const Mat& x, Mat& f) const override;
    void jvp(const Vec& t, const Mat& x, const Mat& v, Mat& out) const override;
    void vjp(const Vec& t, const Mat& x, const Mat& a, Mat& out) const override;

private:
    double m_k, m_gamma;
};

/// x' = alpha x - beta x y, y' = delta x y - gamma y.
class LotkaVolterra : public System
{
public:
    LotkaVolterra(double alpha, double beta, double gamma, double delta);
    static constexpr int point_dim = 2;
    void point_rhs(const double* x, double* f) const
    {
        fields::lotka_volterra_field(m_alpha, m_beta, m_gamma, m_delta, x[0], x[1], f[0], f[1]);
    }
    void rhs(const Vec& t, const Mat& x, Mat& f) const override;
    void jvp(const Vec& t, const Mat& x, const Mat& v, Mat& out) const override;
    void vjp(const Vec& t, const Mat& x, const Mat& a, Mat& out) const override;

private:
    double m_alpha, m_beta, m_gamma, m_delta;
};

/// x' = y, y' = mu (1 - x^2) y - x.
class VanDerPol : public System
{
public:
    explicit VanDerPol(double mu);
    static constexpr int point_dim = 2;
    void point_rhs(const double* x, double* f) const
    {
        fields::van_der_pol_field(m_mu, x[0], x[1], f[0], f[1]);
    }
    void rhs(const Vec& t, const Mat& x, Mat& f) const override;
    void jvp(const Vec& t, const Mat& x, const Mat& v, Mat& out) const override;
    void vjp(const Vec& t, const Mat& x, const Mat& a, Mat& out) const override;

private:
    double m_mu;
};

/// x' = sigma (y - x), y' = x (rho - z) - y, z' = x y - beta z.
class Lorenz : public System
{
public:
    Lorenz(double sigma, double rho, double beta);
    static constexpr int point_dim = 3;
    void point_rhs(const double* x, double* f) const
    {
        fields::lorenz_field(m_sigma, m_rho, m_beta, x[0], x[1], x[2], f[0], f[1], f[2]);
    }
    void rhs(const Vec& t, const Mat& x, Mat& f) const override;
    void jvp(const Vec& t, const Mat& x, const Mat& v, Mat& out) const override;
    void vjp(const Vec& t, const Mat& x, const Mat& a, Mat& out) const override;

private:
    double m_sigma, m_rho, m_beta;
};

} // namespace flowkit::ode
