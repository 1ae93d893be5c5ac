// Built-in systems without a canonical Hamiltonian, with analytic Jacobian products.
#pragma once

#include "ode/system.hpp"

namespace flowkit::ode {

/// The parametric oscillator of the notes: q' = p, p' = -k q + gamma p (gamma < 0 damps).
class Damped : public System
{
public:
    Damped(double k, double gamma);
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
    void rhs(const Vec& t, const Mat& x, Mat& f) const override;
    void jvp(const Vec& t, const Mat& x, const Mat& v, Mat& out) const override;
    void vjp(const Vec& t, const Mat& x, const Mat& a, Mat& out) const override;

private:
    double m_sigma, m_rho, m_beta;
};

} // namespace flowkit::ode
