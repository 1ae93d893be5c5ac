// The fixed-size fast path agrees with the general batch path to round-off.
#include "ode/dopri5.hpp"
#include "ode/explicit_rk.hpp"
#include "ode/fast_steppers.hpp"
#include "ode/symplectic.hpp"
#include "problems.hpp"

#include <doctest/doctest.h>

using namespace flowkit;
using namespace flowkit::ode;

namespace {

/// The general stepper for `method`, bypassing the fast path.
std::unique_ptr<Stepper> general_stepper(const std::string& method, const System& sys)
{
    using Kind = SymplecticStepper::Kind;
    if (method == "euler")
        return std::make_unique<ExplicitRK>(sys, euler_tableau());
    if (method == "midpoint")
        return std::make_unique<ExplicitRK>(sys, midpoint_tableau());
    if (method == "rk4")
        return std::make_unique<ExplicitRK>(sys, rk4_tableau());
    if (method == "dopri5")
        return std::make_unique<Dopri5>(sys, 1e-8, 1e-10);
    if (method == "symplectic-euler")
        return std::make_unique<SymplecticStepper>(sys, Kind::euler);
    if (method == "verlet")
        return std::make_unique<SymplecticStepper>(sys, Kind::verlet);
    return std::make_unique<SymplecticStepper>(sys, Kind::yoshida4);
}

} // namespace

TEST_CASE("fast path: every built-in system and explicit method, as the batch path to round-off")
{
    const char* systems[] = {"harmonic", "damped", "pendulum", "henon-heiles", "kepler",
                             "lotka-volterra", "van-der-pol", "lorenz", "double-pendulum"};
    int fast_paths = 0;
    for (const char* name : systems) {
        const auto sys = make_builtin_system(name);
        const Mat x0 = Mat::Constant(1, sys->dim(), 0.7) + 0.1 * Mat::Random(1, sys->dim());
        for (const char* method : {"euler", "midpoint", "rk4", "dopri5", "symplectic-euler",
                                   "verlet", "yoshida4"}) {
            auto fast = make_fast_stepper(method, *sys, 1e-8, 1e-10);
            if (!fast)
                continue;
            const std::string label = std::string(name) + " " + method;
            CAPTURE(label);
            ++fast_paths;
            auto general = general_stepper(method, *sys);
            IntegrateSettings s;
            s.t1 = 3;
            s.dt = 0.01;
            Mat a = x0, b = x0;
            const auto ignore = [](const std::vector<Index>&, const Vec&, const Mat&) {};
            if (std::string(method) == "dopri5") {
                integrate_adaptive(static_cast<Dopri5&>(*fast), a, s, ignore);
                integrate_adaptive(static_cast<Dopri5&>(*general), b, s, ignore);
            } else {
                integrate_fixed(*fast, a, s, ignore);
                integrate_fixed(*general, b, s, ignore);
            }
            // Same formulas in the same order: only fused multiply-adds may differ, ~1e-16 per
            // step (grown ~20x by Lorenz's chaos over t = 3); a wrong coefficient gives ~1e-3.
            CHECK((a - b).norm() <= 1e-12 * std::max(1.0, b.norm()));
            CHECK(fast->evaluations() == general->evaluations());
        }
    }
    // 9 systems x 4 explicit RK methods + 4 separable systems x 3 symplectic methods.
    CHECK(fast_paths == 9 * 4 + 4 * 3);
    const auto lorenz = make_builtin_system("lorenz");
    CHECK(make_fast_stepper("gauss4", *lorenz, 1e-6, 1e-9) == nullptr);
}
