#include "ode/hamiltonian_systems.hpp"

#include <cmath>

namespace flowkit::ode {

namespace {

void init_names(std::vector<std::string>& names, std::initializer_list<const char*> list)
{
    names.assign(list.begin(), list.end());
}

/// Half the squared row norms: sum_j p_ij^2 / 2.
void half_square_norm(const Mat& p, Vec& out) { out = 0.5 * p.rowwise().squaredNorm(); }

} // namespace

// ---------------------------------------------------------------- harmonic

Harmonic::Harmonic(double omega) : m_w2(omega * omega)
{
    m_name = "harmonic";
    init_names(m_names, {"q", "p"});
    m_param_names = {"omega"};
    m_param_values = Vec::Constant(1, omega);
}

void Harmonic::rhs(const Vec&, const Mat& x, Mat& f) const
{
    f.resize(x.rows(), 2);
    f.col(0) = x.col(1);
    f.col(1) = -m_w2 * x.col(0);
}

void Harmonic::T(const Mat& p, Vec& out) const { half_square_norm(p, out); }
void Harmonic::V(const Mat& q, Vec& out) const { out = 0.5 * m_w2 * q.col(0).array().square(); }

// ---------------------------------------------------------------- pendulum

Pendulum::Pendulum()
{
    m_name = "pendulum";
    init_names(m_names, {"q", "p"});
}

void Pendulum::rhs(const Vec&, const Mat& x, Mat& f) const
{
    f.resize(x.rows(), 2);
    f.col(0) = x.col(1);
    fields::pendulum_grad_V(-1.0, x.col(0).array(), f.col(1).array());
}

void Pendulum::T(const Mat& p, Vec& out) const { half_square_norm(p, out); }
void Pendulum::V(const Mat& q, Vec& out) const { out = -q.col(0).array().cos(); }

void Pendulum::hess_V_vec(const Mat& q, const Mat& v, Mat& out) const
{
    out = q.array().cos() * v.array();
}

// ---------------------------------------------------------------- Henon-Heiles

HenonHeiles::HenonHeiles(double lambda) : m_lambda(lambda)
{
    m_name = "henon-heiles";
    init_names(m_names, {"x", "y", "px", "py"});
    m_param_names = {"lambda"};
    m_param_values = Vec::Constant(1, lambda);
}

void HenonHeiles::rhs(const Vec&, const Mat& x, Mat& f) const
{
    f.resize(x.rows(), 4);
    f.col(0) = x.col(2);
    f.col(1) = x.col(3);
    fields::henon_heiles_grad_V(m_lambda, -1.0, x.col(0).array(), x.col(1).array(), f.col(2).array(),
                                f.col(3).array());
}

void HenonHeiles::T(const Mat& p, Vec& out) const { half_square_norm(p, out); }

void HenonHeiles::V(const Mat& q, Vec& out) const
{
    const auto X = q.col(0).array();
    const auto Y = q.col(1).array();
    out = 0.5 * (X.square() + Y.square()) + m_lambda * (X.square() * Y - Y.cube() / 3.0);
}

void HenonHeiles::grad_V(const Mat& q, Mat& out) const
{
    out.resize(q.rows(), 2);
    fields::henon_heiles_grad_V(m_lambda, 1.0, q.col(0).array(), q.col(1).array(), out.col(0).array(),
                                out.col(1).array());
}

void HenonHeiles::hess_V_vec(const Mat& q, const Mat& v, Mat& out) const
{
    // Hess V = [[1 + 2 lambda y, 2 lambda x], [2 lambda x, 1 - 2 lambda y]]
    const auto X = q.col(0).array();
    const auto Y = q.col(1).array();
    const auto a = v.col(0).array();
    const auto b = v.col(1).array();
    out.resize(q.rows(), 2);
    out.col(0) = (1.0 + 2.0 * m_lambda * Y) * a + 2.0 * m_lambda * X * b;
    out.col(1) = 2.0 * m_lambda * X * a + (1.0 - 2.0 * m_lambda * Y) * b;
}

// ---------------------------------------------------------------- Kepler

Kepler::Kepler(double mu) : m_mu(mu)
{
    m_name = "kepler";
    init_names(m_names, {"x", "y", "px", "py"});
    m_param_names = {"mu"};
    m_param_values = Vec::Constant(1, mu);
}

void Kepler::rhs(const Vec&, const Mat& x, Mat& f) const
{
    f.resize(x.rows(), 4);
    f.col(0) = x.col(2);
    f.col(1) = x.col(3);
    fields::kepler_grad_V(m_mu, -1.0, x.col(0).array(), x.col(1).array(), f.col(2).array(),
                          f.col(3).array());
}

void Kepler::T(const Mat& p, Vec& out) const { half_square_norm(p, out); }

void Kepler::V(const Mat& q, Vec& out) const { out = -m_mu / q.rowwise().norm().array(); }

void Kepler::grad_V(const Mat& q, Mat& out) const
{
    out.resize(q.rows(), 2);
    fields::kepler_grad_V(m_mu, 1.0, q.col(0).array(), q.col(1).array(), out.col(0).array(),
                          out.col(1).array());
}

void Kepler::hess_V_vec(const Mat& q, const Mat& v, Mat& out) const
{
    // Hess V v = mu (v / r^3 - 3 q (q.v) / r^5)
    const Eigen::ArrayXd r = q.rowwise().norm();
    const Eigen::ArrayXd qv = (q.array() * v.array()).rowwise().sum();
    const Eigen::ArrayXd r3 = r.cube();
    out = m_mu * (v.array().colwise() / r3 - q.array().colwise() * (3.0 * qv / (r3 * r.square())));
}

// ---------------------------------------------------------------- double pendulum

namespace {

/// a + b eps with eps^2 = 0: exact directional derivatives.
struct Dual
{
    double a, b;
};
Dual operator+(Dual x, Dual y) { return {x.a + y.a, x.b + y.b}; }
Dual operator-(Dual x, Dual y) { return {x.a - y.a, x.b - y.b}; }
Dual operator*(Dual x, Dual y) { return {x.a * y.a, x.a * y.b + x.b * y.a}; }
Dual operator/(Dual x, Dual y) { return {x.a / y.a, (x.b * y.a - x.a * y.b) / (y.a * y.a)}; }
Dual operator*(double s, Dual x) { return {s * x.a, s * x.b}; }
Dual operator+(double s, Dual x) { return {s + x.a, x.b}; }
Dual sin(Dual x) { return {std::sin(x.a), std::cos(x.a) * x.b}; }
Dual cos(Dual x) { return {std::cos(x.a), -std::sin(x.a) * x.b}; }

} // namespace

DoublePendulum::DoublePendulum()
{
    m_name = "double-pendulum";
    init_names(m_names, {"q1", "q2", "p1", "p2"});
}

void DoublePendulum::H(const Mat& x, Vec& h) const
{
    const Eigen::ArrayXd d = x.col(0).array() - x.col(1).array();
    const Eigen::ArrayXd s = d.sin();
    const auto p1 = x.col(2).array();
    const auto p2 = x.col(3).array();
    h = (p1.square() + 2.0 * p2.square() - 2.0 * p1 * p2 * d.cos()) / (2.0 * (1.0 + s.square())) -
        2.0 * x.col(0).array().cos() - x.col(1).array().cos();
}

void DoublePendulum::grad_H(const Mat& x, Mat& g) const
{
    g.resize(x.rows(), 4);
    double gi[4];
    for (Index i = 0; i < x.rows(); ++i) {
        fields::double_pendulum_grad_H(x(i, 0), x(i, 1), x(i, 2), x(i, 3), gi);
        for (int j = 0; j < 4; ++j)
            g(i, j) = gi[j];
    }
}

void DoublePendulum::hess_H_vec(const Mat& x, const Mat& v, Mat& out) const
{
    out.resize(x.rows(), 4);
    Dual gi[4];
    for (Index i = 0; i < x.rows(); ++i) {
        fields::double_pendulum_grad_H(Dual{x(i, 0), v(i, 0)}, Dual{x(i, 1), v(i, 1)}, Dual{x(i, 2), v(i, 2)},
                             Dual{x(i, 3), v(i, 3)}, gi);
        for (int j = 0; j < 4; ++j)
            out(i, j) = gi[j].b;
    }
}

} // namespace flowkit::ode
