// User-defined systems given by expressions (CLI.md "Choosing a system"): a vector field
// --rhs "E1; E2; ..." over --vars (t and parameters may appear), or a canonical Hamiltonian
// --hamiltonian "E" over --vars q1..qn,p1..pn. Derivatives are symbolic (lib/expr) and every
// function is evaluated over the whole batch at once. Evaluation is thread-safe (one
// workspace per thread).
#pragma once

#include "expr/program.hpp"
#include "ode/builtin_systems.hpp"
#include "ode/system.hpp"

#include <string>
#include <vector>

namespace flowkit::ode {

class RhsSystem : public System
{
public:
    /// UsageError pointing at the character for a bad expression, or when the number of
    /// expressions differs from the number of variables.
    RhsSystem(const std::string& text, const std::vector<std::string>& vars, const ParamList& params);
    bool autonomous() const override { return m_autonomous; }
    nlohmann::ordered_json describe() const override;
    void rhs(const Vec& t, const Mat& x, Mat& f) const override;
    void jvp(const Vec& t, const Mat& x, const Mat& v, Mat& out) const override;
    void vjp(const Vec& t, const Mat& x, const Mat& a, Mat& out) const override;

private:
    std::string m_text;
    bool m_autonomous;
    expr::Program m_f;   // (x, t) -> F
    expr::Program m_jvp; // (x, t, v) -> (dF/dx) v
    expr::Program m_vjp; // (x, t, a) -> (dF/dx)^T a
};

class HamiltonianExpressionSystem : public HamiltonianSystem
{
public:
    /// Separability (H = T(p) + V(q)) is detected symbolically: every d2H/dq_i dp_j is zero.
    HamiltonianExpressionSystem(const std::string& text, const std::vector<std::string>& vars,
                                const ParamList& params);
    nlohmann::ordered_json describe() const override;
    bool separable() const override { return m_separable; }
    void H(const Mat& x, Vec& h) const override;
    void grad_H(const Mat& x, Mat& g) const override;
    void hess_H_vec(const Mat& x, const Mat& v, Mat& out) const override;
    void grad_T(const Mat& p, Mat& out) const override;
    void grad_V(const Mat& q, Mat& out) const override;

private:
    std::string m_text;
    bool m_separable;
    expr::Program m_h;      // x -> H
    expr::Program m_grad;   // x -> dH/dx
    expr::Program m_hess;   // (x, v) -> Hess v
    expr::Program m_grad_v; // q -> dV/dq   (separable only)
    expr::Program m_grad_t; // p -> dT/dp   (separable only)
};

} // namespace flowkit::ode
