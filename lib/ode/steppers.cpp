#include "ode/steppers.hpp"

#include "core/error.hpp"
#include "ode/dopri5.hpp"
#include "ode/explicit_rk.hpp"
#include "ode/fast_steppers.hpp"
#include "ode/implicit_rk.hpp"
#include "ode/symplectic.hpp"

namespace flowkit::ode {

const std::vector<std::string>& method_names()
{
    static const std::vector<std::string> names = {
        "euler",   "implicit-euler",   "midpoint", "implicit-midpoint", "rk4",    "dopri5",
        "symplectic-euler", "verlet", "yoshida4", "gauss2", "gauss4", "gauss6"};
    return names;
}

bool is_adaptive(const std::string& method) { return method == "dopri5"; }

std::unique_ptr<Stepper> make_stepper(const std::string& method, const System& system,
                                      double rtol, double atol)
{
    using Kind = SymplecticStepper::Kind;
    if (auto fast = make_fast_stepper(method, system, rtol, atol))
        return fast;
    if (method == "euler")
        return std::make_unique<ExplicitRK>(system, euler_tableau());
    if (method == "midpoint")
        return std::make_unique<ExplicitRK>(system, midpoint_tableau());
    if (method == "implicit-euler")
        return std::make_unique<ImplicitRK>(system, implicit_euler_tableau());
    if (method == "implicit-midpoint")
        return std::make_unique<ImplicitRK>(system, implicit_midpoint_tableau());
    if (method == "gauss2")
        return std::make_unique<ImplicitRK>(system, gauss_tableau(1));
    if (method == "gauss4")
        return std::make_unique<ImplicitRK>(system, gauss_tableau(2));
    if (method == "gauss6")
        return std::make_unique<ImplicitRK>(system, gauss_tableau(3));
    if (method == "rk4")
        return std::make_unique<ExplicitRK>(system, rk4_tableau());
    if (method == "dopri5")
        return std::make_unique<Dopri5>(system, rtol, atol);
    if (method == "symplectic-euler")
        return std::make_unique<SymplecticStepper>(system, Kind::euler);
    if (method == "verlet")
        return std::make_unique<SymplecticStepper>(system, Kind::verlet);
    if (method == "yoshida4")
        return std::make_unique<SymplecticStepper>(system, Kind::yoshida4);
    std::string known;
    for (const auto& m : method_names())
        known += (known.empty() ? "" : ", ") + m;
    throw UsageError("unknown method '" + method + "' (known: " + known + ")");
}

} // namespace flowkit::ode
