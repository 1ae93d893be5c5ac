// The System contract (DESIGN.md "The System and Stepper contracts"): a vector field over a
// batch of states, one row per trajectory at its own time, with Jacobian products and,
// optionally, a canonical Hamiltonian H(q, p) with x = (q, p).
#pragma once

#include "core/eigen.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace flowkit::ode {

class System
{
public:
    virtual ~System() = default;

    Index dim() const { return static_cast<Index>(m_names.size()); }
    /// State column names, e.g. {"q", "p"}.
    const std::vector<std::string>& names() const { return m_names; }
    const std::vector<std::string>& param_names() const { return m_param_names; }
    const Vec& param_values() const { return m_param_values; }
    virtual bool autonomous() const { return true; }
    /// How the system was given, for model files: {"name": ..., "params": {...}} for a built-in.
    virtual nlohmann::ordered_json describe() const;

    /// f = F(t, x). x, f: n x dim; t: n (row i is at time t(i)).
    virtual void rhs(const Vec& t, const Mat& x, Mat& f) const = 0;
    /// out = (dF/dx) v, row by row.
    virtual void jvp(const Vec& t, const Mat& x, const Mat& v, Mat& out) const = 0;
    /// out = (dF/dx)^T a, row by row.
    virtual void vjp(const Vec& t, const Mat& x, const Mat& a, Mat& out) const = 0;

    /// True if x = (q, p) and F = J grad H; then H, grad_H and hess_H_vec are defined.
    virtual bool hamiltonian() const { return false; }
    /// h(i) = H(x_i). Throws if the system has no Hamiltonian.
    virtual void H(const Mat& x, Vec& h) const;
    /// g = dH/dx, n x dim.
    virtual void grad_H(const Mat& x, Mat& g) const;
    /// out = (d^2 H/dx^2) v, row by row.
    virtual void hess_H_vec(const Mat& x, const Mat& v, Mat& out) const;

    /// True if H = T(p) + V(q); then grad_T and grad_V are defined.
    virtual bool separable() const { return false; }
    /// dT/dp for momenta p (n x dim/2).
    virtual void grad_T(const Mat& p, Mat& out) const;
    /// dV/dq for positions q (n x dim/2).
    virtual void grad_V(const Mat& q, Mat& out) const;

protected:
    std::string m_name; // built-in name
    std::vector<std::string> m_names;
    std::vector<std::string> m_param_names;
    Vec m_param_values;
};

/// A canonical Hamiltonian system: x = (q, p), F = (dH/dp, -dH/dq). Subclasses give H,
/// grad_H and hess_H_vec; the vector field and its Jacobian products follow.
class HamiltonianSystem : public System
{
public:
    bool hamiltonian() const override { return true; }
    void rhs(const Vec& t, const Mat& x, Mat& f) const override;
    /// (dF/dx) v = J Hess v.
    void jvp(const Vec& t, const Mat& x, const Mat& v, Mat& out) const override;
    /// (dF/dx)^T a = Hess J^T a (the Hessian is symmetric).
    void vjp(const Vec& t, const Mat& x, const Mat& a, Mat& out) const override;
};

/// H = T(p) + V(q): subclasses give T, V, their gradients and Hessian-vector products.
class SeparableSystem : public HamiltonianSystem
{
public:
    bool separable() const override { return true; }
    void H(const Mat& x, Vec& h) const override;
    void grad_H(const Mat& x, Mat& g) const override;
    void hess_H_vec(const Mat& x, const Mat& v, Mat& out) const override;

protected:
    virtual void T(const Mat& p, Vec& out) const = 0;
    virtual void V(const Mat& q, Vec& out) const = 0;
    virtual void hess_T_vec(const Mat& p, const Mat& v, Mat& out) const = 0;
    virtual void hess_V_vec(const Mat& q, const Mat& v, Mat& out) const = 0;
};

/// (q, p) -> (p, -q) on the columns: J v for v = (v_q, v_p).
void apply_J(const Mat& v, Mat& out);

} // namespace flowkit::ode
