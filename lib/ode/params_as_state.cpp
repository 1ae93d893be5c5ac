#include "ode/params_as_state.hpp"

#include "core/error.hpp"
#include "ode/builtin_systems.hpp"
#include "ode/expression_systems.hpp"

#include <algorithm>

namespace flowkit::ode {

namespace {

/// A built-in system at per-row parameter values: rows of z = (x, k) evaluated one by one.
class BuiltinWithRowParams : public System
{
public:
    BuiltinWithRowParams(const System& base, std::vector<std::string> varying)
        : m_base_name(base.describe()["name"].get<std::string>()), m_varying(std::move(varying))
    {
        m_names = base.names();
        m_names.insert(m_names.end(), m_varying.begin(), m_varying.end());
        m_d = base.dim();
        for (std::size_t i = 0; i < base.param_names().size(); ++i)
            if (std::find(m_varying.begin(), m_varying.end(), base.param_names()[i]) ==
                m_varying.end())
                m_fixed.emplace_back(base.param_names()[i], base.param_values()(Index(i)));
        m_autonomous = base.autonomous();
        m_name = m_base_name;
    }

    bool autonomous() const override { return m_autonomous; }

    void rhs(const Vec& t, const Mat& z, Mat& f) const override
    {
        rows(t, z, nullptr, f, [](const System& s, const Vec& ti, const Mat& x, const Mat*,
                                  Mat& out) { s.rhs(ti, x, out); });
    }
    void jvp(const Vec& t, const Mat& z, const Mat& v, Mat& out) const override
    {
        rows(t, z, &v, out, [](const System& s, const Vec& ti, const Mat& x, const Mat* w,
                               Mat& o) { s.jvp(ti, x, *w, o); });
    }
    void vjp(const Vec& t, const Mat& z, const Mat& a, Mat& out) const override
    {
        rows(t, z, &a, out, [](const System& s, const Vec& ti, const Mat& x, const Mat* w,
                               Mat& o) { s.vjp(ti, x, *w, o); });
    }

private:
    /// out's first d columns row by row from the row's system; the parameter columns are 0
    /// (dk/dt = 0, and the parameters are not differentiated: d/dk is not needed by the users).
    template <class Fn>
    void rows(const Vec& t, const Mat& z, const Mat* w, Mat& out, Fn fn) const
    {
        const Index n = z.rows(), p = Index(m_varying.size());
        out = Mat::Zero(n, m_d + p);
        std::unique_ptr<System> s;
        Vec ti(1);
        Mat x, wi, o;
        for (Index i = 0; i < n; ++i) {
            if (!s || (i > 0 && z.row(i).tail(p) != z.row(i - 1).tail(p))) {
                ParamList params = m_fixed;
                for (Index j = 0; j < p; ++j)
                    params.emplace_back(m_varying[std::size_t(j)], z(i, m_d + j));
                s = make_builtin_system(m_base_name, params);
            }
            ti(0) = t(i);
            x = z.row(i).head(m_d);
            if (w)
                wi = w->row(i).head(m_d);
            fn(*s, ti, x, w ? &wi : nullptr, o);
            out.row(i).head(m_d) = o.row(0);
        }
    }

    std::string m_base_name;
    std::vector<std::string> m_varying;
    ParamList m_fixed;
    Index m_d = 0;
    bool m_autonomous = true;
};

} // namespace

std::unique_ptr<System> params_as_state(const System& system, const std::vector<std::string>& names)
{
    for (const std::string& name : names)
        if (std::find(system.param_names().begin(), system.param_names().end(), name) ==
            system.param_names().end())
            throw UsageError("--param-domain names '" + name + "', which is not a parameter of "
                             "the system");
    const nlohmann::ordered_json d = system.describe();
    if (d.contains("name"))
        return std::make_unique<BuiltinWithRowParams>(system, names);
    if (!d.contains("rhs"))
        throw UsageError("--param-domain works with built-in and --rhs systems");
    // The same expressions over (x, k), with dk/dt = 0 and the other parameters kept.
    std::string text = d["rhs"].get<std::string>();
    for (std::size_t j = 0; j < names.size(); ++j)
        text += "; 0";
    std::vector<std::string> vars = system.names();
    vars.insert(vars.end(), names.begin(), names.end());
    ParamList fixed;
    for (std::size_t i = 0; i < system.param_names().size(); ++i)
        if (std::find(names.begin(), names.end(), system.param_names()[i]) == names.end())
            fixed.emplace_back(system.param_names()[i], system.param_values()(Index(i)));
    return std::make_unique<RhsSystem>(text, vars, fixed);
}

} // namespace flowkit::ode
