#include "ode/expression_systems.hpp"

#include "core/error.hpp"

#include <map>

namespace flowkit::ode {

namespace {

using expr::Expr;

const char* const reserved_names[] = {"traj", "t", "H", "H_err", "H_N", "logp"};

bool is_identifier(const std::string& s)
{
    auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; };
    if (s.empty() || !alpha(s[0]))
        return false;
    for (char c : s)
        if (!alpha(c) && !(c >= '0' && c <= '9'))
            return false;
    return true;
}

/// Variables: identifiers, not reserved, distinct; parameters: identifiers, not t, not a
/// variable (either would be silently shadowed in the expressions).
void check_names(const std::vector<std::string>& vars, const ParamList& params)
{
    if (vars.empty())
        throw UsageError("--vars names no variables");
    for (const auto& [name, value] : params) {
        (void)value;
        if (!is_identifier(name))
            throw UsageError("--param: '" + name + "' is not a name (letters, digits, _)");
        if (name == "t")
            throw UsageError("--param: 't' is the time and cannot be a parameter");
        for (const auto& v : vars)
            if (v == name)
                throw UsageError("--param: '" + name + "' is also a variable (--vars)");
    }
    for (std::size_t i = 0; i < vars.size(); ++i) {
        if (!is_identifier(vars[i]))
            throw UsageError("--vars: '" + vars[i] + "' is not a name (letters, digits, _)");
        for (const char* r : reserved_names)
            if (vars[i] == r)
                throw UsageError("--vars: '" + vars[i] + "' is a reserved column name");
        for (std::size_t j = 0; j < i; ++j)
            if (vars[i] == vars[j])
                throw UsageError("--vars: '" + vars[i] + "' appears twice");
    }
}

std::map<std::string, double> constants_of(const ParamList& params)
{
    std::map<std::string, double> c;
    for (const auto& [name, value] : params)
        c[name] = value;
    return c;
}

void set_params(const ParamList& params, std::vector<std::string>& names, Vec& values)
{
    names.clear();
    values.resize(static_cast<Index>(params.size()));
    for (std::size_t i = 0; i < params.size(); ++i) {
        names.push_back(params[i].first);
        values(static_cast<Index>(i)) = params[i].second;
    }
}

/// sum_j df/dx_j w_j with w_j the variable first_w + j.
Expr directional(const Expr& f, Index dim, Index first_w)
{
    Expr sum = Expr::constant(0);
    for (Index j = 0; j < dim; ++j)
        sum = sum + f.derivative(j) * Expr::variable(first_w + j);
    return sum;
}

/// Evaluation buffers, one set per thread (a workspace serves any Program).
expr::Program::Workspace& thread_workspace()
{
    thread_local expr::Program::Workspace ws;
    return ws;
}

nlohmann::ordered_json params_json(const std::vector<std::string>& names, const Vec& values)
{
    nlohmann::ordered_json p = nlohmann::ordered_json::object();
    for (std::size_t i = 0; i < names.size(); ++i)
        p[names[i]] = values(static_cast<Index>(i));
    return p;
}

} // namespace

// ---------------------------------------------------------------- --rhs

RhsSystem::RhsSystem(const std::string& text, const std::vector<std::string>& vars,
                     const ParamList& params)
    : m_text(text)
{
    check_names(vars, params);
    m_names = vars;
    set_params(params, m_param_names, m_param_values);
    const Index d = dim();
    std::vector<std::string> with_t = vars;
    with_t.push_back("t"); // variable d
    const std::vector<Expr> f = Expr::parse_list(text, with_t, constants_of(params));
    if (static_cast<Index>(f.size()) != d)
        throw UsageError("--rhs has " + std::to_string(f.size()) +
                         (f.size() == 1 ? " expression" : " expressions") + " for " +
                         std::to_string(d) + (d == 1 ? " variable" : " variables") + " (--vars)");
    m_autonomous = true;
    for (const auto& e : f)
        m_autonomous = m_autonomous && !e.depends_on(d);

    // Variables of the Jacobian products: x (0..d-1), t (d), the direction (d+1..2d).
    std::vector<Expr> jv, ja;
    for (Index i = 0; i < d; ++i)
        jv.push_back(directional(f[static_cast<std::size_t>(i)], d, d + 1));
    for (Index j = 0; j < d; ++j) {
        Expr sum = Expr::constant(0);
        for (Index i = 0; i < d; ++i)
            sum = sum + f[static_cast<std::size_t>(i)].derivative(j) * Expr::variable(d + 1 + i);
        ja.push_back(sum);
    }
    m_f = expr::Program(f, d + 1);
    m_jvp = expr::Program(jv, 2 * d + 1);
    m_vjp = expr::Program(ja, 2 * d + 1);
}

nlohmann::ordered_json RhsSystem::describe() const
{
    nlohmann::ordered_json j;
    j["rhs"] = m_text;
    j["vars"] = m_names;
    j["params"] = params_json(m_param_names, m_param_values);
    return j;
}

void RhsSystem::run(const expr::Program& p, const Mat& x, const Vec& t, const Mat* w, Mat& out) const
{
    const Index n = x.rows(), d = dim();
    std::vector<const double*> in;
    for (Index j = 0; j < d; ++j)
        in.push_back(x.col(j).data());
    in.push_back(t.data());
    if (w)
        for (Index j = 0; j < d; ++j)
            in.push_back(w->col(j).data());
    out.resize(n, d);
    std::vector<double*> cols;
    for (Index j = 0; j < d; ++j)
        cols.push_back(out.col(j).data());
    p.eval(in.data(), n, cols.data(), thread_workspace());
}

void RhsSystem::rhs(const Vec& t, const Mat& x, Mat& f) const { run(m_f, x, t, nullptr, f); }

void RhsSystem::jvp(const Vec& t, const Mat& x, const Mat& v, Mat& out) const
{
    run(m_jvp, x, t, &v, out);
}

void RhsSystem::vjp(const Vec& t, const Mat& x, const Mat& a, Mat& out) const
{
    run(m_vjp, x, t, &a, out);
}

// ---------------------------------------------------------------- --hamiltonian

HamiltonianExpressionSystem::HamiltonianExpressionSystem(const std::string& text,
                                                         const std::vector<std::string>& vars,
                                                         const ParamList& params)
    : m_text(text)
{
    check_names(vars, params);
    if (vars.size() % 2 != 0)
        throw UsageError("--hamiltonian needs an even number of --vars: q1..qn, p1..pn (got " +
                         std::to_string(vars.size()) + ")");
    m_names = vars;
    set_params(params, m_param_names, m_param_values);
    const Index d = dim(), n = d / 2;
    const Expr h = Expr::parse(text, vars, constants_of(params));
    const std::vector<Expr> grad = expr::gradient(h, d);
    std::vector<Expr> hv;
    for (Index i = 0; i < d; ++i)
        hv.push_back(directional(grad[static_cast<std::size_t>(i)], d, d));
    m_h = expr::Program({h}, d);
    m_grad = expr::Program(grad, d);
    m_hess = expr::Program(hv, 2 * d);

    m_separable = true;
    for (Index i = 0; i < n; ++i)
        for (Index j = 0; j < n; ++j)
            m_separable = m_separable && grad[static_cast<std::size_t>(i)].derivative(n + j).is_zero();
    if (m_separable) {
        // dV/dq uses only q (variables 0..n-1); dT/dp only p, read from a zero-padded input.
        m_grad_v = expr::Program({grad.begin(), grad.begin() + n}, n);
        m_grad_t = expr::Program({grad.begin() + n, grad.end()}, d);
    }
}

nlohmann::ordered_json HamiltonianExpressionSystem::describe() const
{
    nlohmann::ordered_json j;
    j["hamiltonian"] = m_text;
    j["vars"] = m_names;
    j["params"] = params_json(m_param_names, m_param_values);
    return j;
}

void HamiltonianExpressionSystem::run(const expr::Program& p, const Mat& x, const Mat* w,
                                      Mat& out) const
{
    std::vector<const double*> in;
    for (Index j = 0; j < x.cols(); ++j)
        in.push_back(x.col(j).data());
    if (w)
        for (Index j = 0; j < w->cols(); ++j)
            in.push_back(w->col(j).data());
    out.resize(x.rows(), p.n_outputs());
    std::vector<double*> cols;
    for (Index j = 0; j < out.cols(); ++j)
        cols.push_back(out.col(j).data());
    p.eval(in.data(), x.rows(), cols.data(), thread_workspace());
}

void HamiltonianExpressionSystem::H(const Mat& x, Vec& h) const
{
    Mat out;
    run(m_h, x, nullptr, out);
    h = out.col(0);
}

void HamiltonianExpressionSystem::grad_H(const Mat& x, Mat& g) const { run(m_grad, x, nullptr, g); }

void HamiltonianExpressionSystem::hess_H_vec(const Mat& x, const Mat& v, Mat& out) const
{
    run(m_hess, x, &v, out);
}

void HamiltonianExpressionSystem::grad_V(const Mat& q, Mat& out) const
{
    if (!m_separable)
        System::grad_V(q, out);
    run(m_grad_v, q, nullptr, out);
}

void HamiltonianExpressionSystem::grad_T(const Mat& p, Mat& out) const
{
    if (!m_separable)
        System::grad_T(p, out);
    const Mat padded = (Mat(p.rows(), 2 * p.cols()) << Mat::Zero(p.rows(), p.cols()), p).finished();
    run(m_grad_t, padded, nullptr, out);
}

} // namespace flowkit::ode
