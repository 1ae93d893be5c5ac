// Built-in canonical Hamiltonian systems, x = (q, p), with analytic derivatives. Each also has
// inline one-state versions (point_*) for the fixed-size fast path (ode/fast_steppers).
#pragma once

#include "ode/builtin_fields.hpp"
#include "ode/system.hpp"

namespace flowkit::ode {

/// H = p^2/2 + omega^2 q^2/2.
class Harmonic : public SeparableSystem
{
public:
    explicit Harmonic(double omega);
    static constexpr int point_dim = 2;
    void point_grad_V(const double* q, double* g) const { g[0] = m_w2 * q[0]; }
    void point_grad_T(const double* p, double* g) const { g[0] = p[0]; }
    void point_rhs(const double* x, double* f) const
    {
        f[0] = x[1];
        f[1] = -m_w2 * x[0];
    }
    void rhs(const Vec& t, const Mat& x, Mat& f) const override;
    void grad_T(const Mat& p, Mat& out) const override { out = p; }
    void grad_V(const Mat& q, Mat& out) const override { out = m_w2 * q; }

protected:
    void T(const Mat& p, Vec& out) const override;
    void V(const Mat& q, Vec& out) const override;
    void hess_T_vec(const Mat&, const Mat& v, Mat& out) const override { out = v; }
    void hess_V_vec(const Mat&, const Mat& v, Mat& out) const override { out = m_w2 * v; }

private:
    double m_w2;
};

/// H = p^2/2 - cos q.
class Pendulum : public SeparableSystem
{
public:
    Pendulum();
    static constexpr int point_dim = 2;
    void point_grad_V(const double* q, double* g) const { fields::pendulum_grad_V(1.0, q[0], g[0]); }
    void point_grad_T(const double* p, double* g) const { g[0] = p[0]; }
    void point_rhs(const double* x, double* f) const
    {
        f[0] = x[1];
        fields::pendulum_grad_V(-1.0, x[0], f[1]);
    }
    void rhs(const Vec& t, const Mat& x, Mat& f) const override;
    void grad_T(const Mat& p, Mat& out) const override { out = p; }
    void grad_V(const Mat& q, Mat& out) const override { out = q.array().sin(); }

protected:
    void T(const Mat& p, Vec& out) const override;
    void V(const Mat& q, Vec& out) const override;
    void hess_T_vec(const Mat&, const Mat& v, Mat& out) const override { out = v; }
    void hess_V_vec(const Mat& q, const Mat& v, Mat& out) const override;
};

/// H = (px^2 + py^2)/2 + (x^2 + y^2)/2 + lambda (x^2 y - y^3/3).
class HenonHeiles : public SeparableSystem
{
public:
    explicit HenonHeiles(double lambda);
    static constexpr int point_dim = 4;
    void point_grad_V(const double* q, double* g) const
    {
        fields::henon_heiles_grad_V(m_lambda, 1.0, q[0], q[1], g[0], g[1]);
    }
    void point_grad_T(const double* p, double* g) const { g[0] = p[0], g[1] = p[1]; }
    void point_rhs(const double* x, double* f) const
    {
        f[0] = x[2];
        f[1] = x[3];
        fields::henon_heiles_grad_V(m_lambda, -1.0, x[0], x[1], f[2], f[3]);
    }
    void rhs(const Vec& t, const Mat& x, Mat& f) const override;
    void grad_T(const Mat& p, Mat& out) const override { out = p; }
    void grad_V(const Mat& q, Mat& out) const override;

protected:
    void T(const Mat& p, Vec& out) const override;
    void V(const Mat& q, Vec& out) const override;
    void hess_T_vec(const Mat&, const Mat& v, Mat& out) const override { out = v; }
    void hess_V_vec(const Mat& q, const Mat& v, Mat& out) const override;

private:
    double m_lambda;
};

/// H = |p|^2/2 - mu/|q| in the plane.
class Kepler : public SeparableSystem
{
public:
    explicit Kepler(double mu);
    static constexpr int point_dim = 4;
    void point_grad_V(const double* q, double* g) const
    {
        fields::kepler_grad_V(m_mu, 1.0, q[0], q[1], g[0], g[1]);
    }
    void point_grad_T(const double* p, double* g) const { g[0] = p[0], g[1] = p[1]; }
    void point_rhs(const double* x, double* f) const
    {
        f[0] = x[2];
        f[1] = x[3];
        fields::kepler_grad_V(m_mu, -1.0, x[0], x[1], f[2], f[3]);
    }
    void rhs(const Vec& t, const Mat& x, Mat& f) const override;
    void grad_T(const Mat& p, Mat& out) const override { out = p; }
    void grad_V(const Mat& q, Mat& out) const override;

protected:
    void T(const Mat& p, Vec& out) const override;
    void V(const Mat& q, Vec& out) const override;
    void hess_T_vec(const Mat&, const Mat& v, Mat& out) const override { out = v; }
    void hess_V_vec(const Mat& q, const Mat& v, Mat& out) const override;

private:
    double m_mu;
};

/// Planar double pendulum with unit masses, lengths and gravity; d = q1 - q2,
/// H = (p1^2 + 2 p2^2 - 2 p1 p2 cos d) / (2 (1 + sin^2 d)) - 2 cos q1 - cos q2. Not separable.
class DoublePendulum : public HamiltonianSystem
{
public:
    DoublePendulum();
    static constexpr int point_dim = 4;
    void point_rhs(const double* x, double* f) const
    {
        double g[4];
        fields::double_pendulum_grad_H(x[0], x[1], x[2], x[3], g);
        f[0] = g[2], f[1] = g[3], f[2] = -g[0], f[3] = -g[1];
    }
    void H(const Mat& x, Vec& h) const override;
    void grad_H(const Mat& x, Mat& g) const override;
    /// Exact: the directional derivative of grad_H by dual numbers.
    void hess_H_vec(const Mat& x, const Mat& v, Mat& out) const override;
};

} // namespace flowkit::ode
