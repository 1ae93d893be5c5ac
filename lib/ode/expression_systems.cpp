#include "ode/expression_systems.hpp"

#include "core/error.hpp"
#include "io/table.hpp"

#include <map>

namespace flowkit::ode {

namespace {

using expr::Expr;

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
        if (io::is_reserved_column(vars[i]))
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

/// {key: text, "vars": [...], "params": {...}}: how a user system was given, for model files.
nlohmann::ordered_json expression_json(const char* key, const std::string& text,
                                       const std::vector<std::string>& vars,
                                       const std::vector<std::string>& param_names,
                                       const Vec& param_values)
{
    nlohmann::ordered_json j;
    j[key] = text;
    j["vars"] = vars;
    j["params"] = nlohmann::ordered_json::object();
    for (std::size_t i = 0; i < param_names.size(); ++i)
        j["params"][param_names[i]] = param_values(static_cast<Index>(i));
    return j;
}

/// out (n x outputs) = p over the batch whose variables are the columns of `inputs`, in order.
void evaluate(const expr::Program& p, std::initializer_list<Eigen::Ref<const Mat>> inputs, Index n,
              Mat& out)
{
    std::vector<const double*> in;
    for (const auto& m : inputs)
        for (Index j = 0; j < m.cols(); ++j)
            in.push_back(m.col(j).data());
    out.resize(n, p.n_outputs());
    std::vector<double*> cols;
    for (Index j = 0; j < out.cols(); ++j)
        cols.push_back(out.col(j).data());
    p.eval(in.data(), n, cols.data(), thread_workspace());
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
    return expression_json("rhs", m_text, m_names, m_param_names, m_param_values);
}

void RhsSystem::rhs(const Vec& t, const Mat& x, Mat& f) const
{
    evaluate(m_f, {x, t}, x.rows(), f);
}

void RhsSystem::jvp(const Vec& t, const Mat& x, const Mat& v, Mat& out) const
{
    evaluate(m_jvp, {x, t, v}, x.rows(), out);
}

void RhsSystem::vjp(const Vec& t, const Mat& x, const Mat& a, Mat& out) const
{
    evaluate(m_vjp, {x, t, a}, x.rows(), out);
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
    return expression_json("hamiltonian", m_text, m_names, m_param_names, m_param_values);
}

void HamiltonianExpressionSystem::H(const Mat& x, Vec& h) const
{
    Mat out;
    evaluate(m_h, {x}, x.rows(), out);
    h = out.col(0);
}

void HamiltonianExpressionSystem::grad_H(const Mat& x, Mat& g) const
{
    evaluate(m_grad, {x}, x.rows(), g);
}

void HamiltonianExpressionSystem::hess_H_vec(const Mat& x, const Mat& v, Mat& out) const
{
    evaluate(m_hess, {x, v}, x.rows(), out);
}

void HamiltonianExpressionSystem::grad_V(const Mat& q, Mat& out) const
{
    if (!m_separable)
        System::grad_V(q, out);
    evaluate(m_grad_v, {q}, q.rows(), out);
}

void HamiltonianExpressionSystem::grad_T(const Mat& p, Mat& out) const
{
    if (!m_separable)
        System::grad_T(p, out);
    const Mat padded = (Mat(p.rows(), 2 * p.cols()) << Mat::Zero(p.rows(), p.cols()), p).finished();
    evaluate(m_grad_t, {padded}, p.rows(), out);
}

} // namespace flowkit::ode
