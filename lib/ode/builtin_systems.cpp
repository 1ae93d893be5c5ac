#include "ode/builtin_systems.hpp"

#include "core/error.hpp"
#include "ode/hamiltonian_systems.hpp"
#include "ode/dissipative_systems.hpp"

#include <functional>
#include <sstream>

namespace flowkit::ode {

namespace {

struct Entry
{
    const char* name;
    const char* vars;
    std::vector<std::pair<std::string, double>> defaults;
    const char* equations;
    std::function<std::unique_ptr<System>(const Vec& params)> make;
};

const std::vector<Entry>& registry()
{
    static const std::vector<Entry> entries = {
        {"harmonic", "q,p", {{"omega", 1.0}}, "H = p^2/2 + omega^2 q^2/2",
         [](const Vec& k) { return std::make_unique<Harmonic>(k(0)); }},
        {"damped", "q,p", {{"k", 1.0}, {"gamma", -0.1}},
         "q' = p, p' = -k q + gamma p  (gamma < 0 damps)",
         [](const Vec& k) { return std::make_unique<Damped>(k(0), k(1)); }},
        {"pendulum", "q,p", {}, "H = p^2/2 - cos(q)",
         [](const Vec&) { return std::make_unique<Pendulum>(); }},
        {"henon-heiles", "x,y,px,py", {{"lambda", 1.0}},
         "H = (px^2 + py^2)/2 + (x^2 + y^2)/2 + lambda (x^2 y - y^3/3)",
         [](const Vec& k) { return std::make_unique<HenonHeiles>(k(0)); }},
        {"kepler", "x,y,px,py", {{"mu", 1.0}}, "H = (px^2 + py^2)/2 - mu/sqrt(x^2 + y^2)",
         [](const Vec& k) { return std::make_unique<Kepler>(k(0)); }},
        {"lotka-volterra", "x,y", {{"alpha", 2.0 / 3.0}, {"beta", 4.0 / 3.0}, {"gamma", 1.0}, {"delta", 1.0}},
         "x' = alpha x - beta x y, y' = delta x y - gamma y",
         [](const Vec& k) { return std::make_unique<LotkaVolterra>(k(0), k(1), k(2), k(3)); }},
        {"van-der-pol", "x,y", {{"mu", 1.0}}, "x' = y, y' = mu (1 - x^2) y - x",
         [](const Vec& k) { return std::make_unique<VanDerPol>(k(0)); }},
        {"lorenz", "x,y,z", {{"sigma", 10.0}, {"rho", 28.0}, {"beta", 8.0 / 3.0}},
         "x' = sigma (y - x), y' = x (rho - z) - y, z' = x y - beta z",
         [](const Vec& k) { return std::make_unique<Lorenz>(k(0), k(1), k(2)); }},
        {"double-pendulum", "q1,q2,p1,p2", {},
         "H = (p1^2 + 2 p2^2 - 2 p1 p2 cos(q1-q2)) / (2 (1 + sin(q1-q2)^2)) - 2 cos(q1) - cos(q2)"
         "  (unit masses, lengths, gravity)",
         [](const Vec&) { return std::make_unique<DoublePendulum>(); }},
    };
    return entries;
}

} // namespace

std::unique_ptr<System> make_builtin_system(const std::string& name, const ParamList& params)
{
    for (const auto& e : registry()) {
        if (name != e.name)
            continue;
        Vec values(static_cast<Index>(e.defaults.size()));
        for (std::size_t i = 0; i < e.defaults.size(); ++i)
            values(static_cast<Index>(i)) = e.defaults[i].second;
        for (const auto& [pname, value] : params) {
            bool found = false;
            for (std::size_t i = 0; i < e.defaults.size(); ++i)
                if (e.defaults[i].first == pname) {
                    values(static_cast<Index>(i)) = value;
                    found = true;
                }
            if (!found) {
                std::string known;
                for (const auto& d : e.defaults)
                    known += (known.empty() ? "" : ", ") + d.first;
                throw UsageError("system '" + name + "' has no parameter '" + pname + "'" +
                                 (known.empty() ? " (it has none)" : " (it has " + known + ")"));
            }
        }
        return e.make(values);
    }
    std::string known;
    for (const auto& e : registry())
        known += (known.empty() ? "" : ", ") + std::string(e.name);
    throw UsageError("unknown system '" + name + "' (built-in: " + known + ")");
}

std::string list_builtin_systems()
{
    std::ostringstream out;
    for (const auto& e : registry()) {
        out << e.name << "\n  variables:  " << e.vars << "\n  parameters: ";
        if (e.defaults.empty())
            out << "none";
        for (std::size_t i = 0; i < e.defaults.size(); ++i)
            out << (i ? ", " : "") << e.defaults[i].first << "=" << e.defaults[i].second;
        out << "\n  " << e.equations << "\n";
    }
    return out.str();
}

} // namespace flowkit::ode
