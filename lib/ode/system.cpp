#include "ode/system.hpp"

#include "core/error.hpp"

namespace flowkit::ode {

namespace {
[[noreturn]] void no_hamiltonian() { throw UsageError("the system has no Hamiltonian"); }
[[noreturn]] void not_separable() { throw UsageError("the Hamiltonian is not separable"); }
} // namespace

nlohmann::ordered_json System::describe() const
{
    nlohmann::ordered_json j;
    j["name"] = m_name;
    j["params"] = nlohmann::ordered_json::object();
    for (std::size_t i = 0; i < m_param_names.size(); ++i)
        j["params"][m_param_names[i]] = m_param_values(static_cast<Index>(i));
    return j;
}

void System::H(const Mat&, Vec&) const { no_hamiltonian(); }
void System::grad_H(const Mat&, Mat&) const { no_hamiltonian(); }
void System::hess_H_vec(const Mat&, const Mat&, Mat&) const { no_hamiltonian(); }
void System::grad_T(const Mat&, Mat&) const { not_separable(); }
void System::grad_V(const Mat&, Mat&) const { not_separable(); }

void apply_J(const Mat& v, Mat& out)
{
    const Index n = v.cols() / 2;
    out.resize(v.rows(), v.cols());
    out.leftCols(n) = v.rightCols(n);
    out.rightCols(n) = -v.leftCols(n);
}

void HamiltonianSystem::rhs(const Vec&, const Mat& x, Mat& f) const
{
    Mat g;
    grad_H(x, g);
    apply_J(g, f);
}

void HamiltonianSystem::jvp(const Vec&, const Mat& x, const Mat& v, Mat& out) const
{
    Mat hv;
    hess_H_vec(x, v, hv);
    apply_J(hv, out);
}

void HamiltonianSystem::vjp(const Vec&, const Mat& x, const Mat& a, Mat& out) const
{
    // J^T a = -J a
    Mat ja;
    apply_J(a, ja);
    hess_H_vec(x, -ja, out);
}

void SeparableSystem::H(const Mat& x, Vec& h) const
{
    const Index n = dim() / 2;
    Vec v;
    T(x.rightCols(n), h);
    V(x.leftCols(n), v);
    h += v;
}

void SeparableSystem::grad_H(const Mat& x, Mat& g) const
{
    const Index n = dim() / 2;
    Mat gq, gp;
    grad_V(x.leftCols(n), gq);
    grad_T(x.rightCols(n), gp);
    g.resize(x.rows(), 2 * n);
    g << gq, gp;
}

void SeparableSystem::hess_H_vec(const Mat& x, const Mat& v, Mat& out) const
{
    const Index n = dim() / 2;
    Mat hq, hp;
    hess_V_vec(x.leftCols(n), v.leftCols(n), hq);
    hess_T_vec(x.rightCols(n), v.rightCols(n), hp);
    out.resize(x.rows(), 2 * n);
    out << hq, hp;
}

} // namespace flowkit::ode
