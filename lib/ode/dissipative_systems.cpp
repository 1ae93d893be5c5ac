#include "ode/dissipative_systems.hpp"

namespace flowkit::ode {

// ---------------------------------------------------------------- damped oscillator

Damped::Damped(double k, double gamma) : m_k(k), m_gamma(gamma)
{
    m_name = "damped";
    m_names = {"q", "p"};
    m_param_names = {"k", "gamma"};
    m_param_values = (Vec(2) << k, gamma).finished();
}

void Damped::rhs(const Vec&, const Mat& x, Mat& f) const
{
    f.resize(x.rows(), 2);
    fields::damped_field(m_k, m_gamma, x.col(0).array(), x.col(1).array(), f.col(0).array(),
                         f.col(1).array());
}

void Damped::jvp(const Vec&, const Mat&, const Mat& v, Mat& out) const
{
    // J = [[0, 1], [-k, gamma]]
    out.resize(v.rows(), 2);
    out.col(0) = v.col(1);
    out.col(1) = -m_k * v.col(0) + m_gamma * v.col(1);
}

void Damped::vjp(const Vec&, const Mat&, const Mat& a, Mat& out) const
{
    out.resize(a.rows(), 2);
    out.col(0) = -m_k * a.col(1);
    out.col(1) = a.col(0) + m_gamma * a.col(1);
}

// ---------------------------------------------------------------- Lotka-Volterra

LotkaVolterra::LotkaVolterra(double alpha, double beta, double gamma, double delta)
    : m_alpha(alpha), m_beta(beta), m_gamma(gamma), m_delta(delta)
{
    m_name = "lotka-volterra";
    m_names = {"x", "y"};
    m_param_names = {"alpha", "beta", "gamma", "delta"};
    m_param_values = (Vec(4) << alpha, beta, gamma, delta).finished();
}

void LotkaVolterra::rhs(const Vec&, const Mat& x, Mat& f) const
{
    f.resize(x.rows(), 2);
    fields::lotka_volterra_field(m_alpha, m_beta, m_gamma, m_delta, x.col(0).array(),
                                 x.col(1).array(), f.col(0).array(), f.col(1).array());
}

void LotkaVolterra::jvp(const Vec&, const Mat& x, const Mat& v, Mat& out) const
{
    // J = [[alpha - beta y, -beta x], [delta y, delta x - gamma]]
    const auto X = x.col(0).array();
    const auto Y = x.col(1).array();
    const auto a = v.col(0).array();
    const auto b = v.col(1).array();
    out.resize(x.rows(), 2);
    out.col(0) = (m_alpha - m_beta * Y) * a - m_beta * X * b;
    out.col(1) = m_delta * Y * a + (m_delta * X - m_gamma) * b;
}

void LotkaVolterra::vjp(const Vec&, const Mat& x, const Mat& a, Mat& out) const
{
    const auto X = x.col(0).array();
    const auto Y = x.col(1).array();
    const auto u = a.col(0).array();
    const auto w = a.col(1).array();
    out.resize(x.rows(), 2);
    out.col(0) = (m_alpha - m_beta * Y) * u + m_delta * Y * w;
    out.col(1) = -m_beta * X * u + (m_delta * X - m_gamma) * w;
}

// ---------------------------------------------------------------- Van der Pol

VanDerPol::VanDerPol(double mu) : m_mu(mu)
{
    m_name = "van-der-pol";
    m_names = {"x", "y"};
    m_param_names = {"mu"};
    m_param_values = Vec::Constant(1, mu);
}

void VanDerPol::rhs(const Vec&, const Mat& x, Mat& f) const
{
    f.resize(x.rows(), 2);
    fields::van_der_pol_field(m_mu, x.col(0).array(), x.col(1).array(), f.col(0).array(),
                              f.col(1).array());
}

void VanDerPol::jvp(const Vec&, const Mat& x, const Mat& v, Mat& out) const
{
    // J = [[0, 1], [-2 mu x y - 1, mu (1 - x^2)]]
    const auto X = x.col(0).array();
    const auto Y = x.col(1).array();
    out.resize(x.rows(), 2);
    out.col(0) = v.col(1);
    out.col(1) = (-2.0 * m_mu * X * Y - 1.0) * v.col(0).array() +
                 m_mu * (1.0 - X.square()) * v.col(1).array();
}

void VanDerPol::vjp(const Vec&, const Mat& x, const Mat& a, Mat& out) const
{
    const auto X = x.col(0).array();
    const auto Y = x.col(1).array();
    out.resize(x.rows(), 2);
    out.col(0) = (-2.0 * m_mu * X * Y - 1.0) * a.col(1).array();
    out.col(1) = a.col(0).array() + m_mu * (1.0 - X.square()) * a.col(1).array();
}

// ---------------------------------------------------------------- Lorenz

Lorenz::Lorenz(double sigma, double rho, double beta) : m_sigma(sigma), m_rho(rho), m_beta(beta)
{
    m_name = "lorenz";
    m_names = {"x", "y", "z"};
    m_param_names = {"sigma", "rho", "beta"};
    m_param_values = (Vec(3) << sigma, rho, beta).finished();
}

void Lorenz::rhs(const Vec&, const Mat& x, Mat& f) const
{
    f.resize(x.rows(), 3);
    fields::lorenz_field(m_sigma, m_rho, m_beta, x.col(0).array(), x.col(1).array(),
                         x.col(2).array(), f.col(0).array(), f.col(1).array(), f.col(2).array());
}

void Lorenz::jvp(const Vec&, const Mat& x, const Mat& v, Mat& out) const
{
    // J = [[-sigma, sigma, 0], [rho - z, -1, -x], [y, x, -beta]]
    const auto X = x.col(0).array();
    const auto Y = x.col(1).array();
    const auto Z = x.col(2).array();
    const auto a = v.col(0).array();
    const auto b = v.col(1).array();
    const auto c = v.col(2).array();
    out.resize(x.rows(), 3);
    out.col(0) = m_sigma * (b - a);
    out.col(1) = (m_rho - Z) * a - b - X * c;
    out.col(2) = Y * a + X * b - m_beta * c;
}

void Lorenz::vjp(const Vec&, const Mat& x, const Mat& a, Mat& out) const
{
    const auto X = x.col(0).array();
    const auto Y = x.col(1).array();
    const auto Z = x.col(2).array();
    const auto u = a.col(0).array();
    const auto v = a.col(1).array();
    const auto w = a.col(2).array();
    out.resize(x.rows(), 3);
    out.col(0) = -m_sigma * u + (m_rho - Z) * v + Y * w;
    out.col(1) = m_sigma * u - v + X * w;
    out.col(2) = -X * v - m_beta * w;
}

} // namespace flowkit::ode
