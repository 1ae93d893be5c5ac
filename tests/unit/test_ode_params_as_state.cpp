// ode::params_as_state: parameters as constant trailing state variables, for a built-in (row by
// row) and an --rhs system (one batch) — the field against the system built at each row's values,
// and the Jacobian products against central differences.
#include "core/error.hpp"
#include "core/rng.hpp"
#include "ode/builtin_systems.hpp"
#include "ode/expression_systems.hpp"
#include "ode/params_as_state.hpp"

#include <doctest/doctest.h>

using namespace flowkit;

TEST_CASE("ode params_as_state: field and Jacobian products of (x, k)")
{
    const auto damped = ode::make_builtin_system("damped", {{"gamma", -0.3}});
    const ode::RhsSystem as_rhs("p; -k*q + gamma*p", {"q", "p"}, {{"k", 1.0}, {"gamma", -0.3}});
    for (const ode::System* base : std::vector<const ode::System*>{damped.get(), &as_rhs}) {
        const auto z_system = ode::params_as_state(*base, {"k"});
        REQUIRE(z_system->dim() == 3);
        CHECK(z_system->names() == std::vector<std::string>{"q", "p", "k"});
        Rng rng(2);
        Mat z(6, 3), v(6, 3);
        for (Index i = 0; i < 6; ++i) {
            z.row(i) << rng.uniform(-1, 1), rng.uniform(-1, 1), rng.uniform(0.5, 2);
            v.row(i) << rng.normal(), rng.normal(), rng.normal();
        }
        z.row(3).tail(1) = z.row(2).tail(1); // consecutive rows sharing k
        const Vec t = Vec::Zero(6);
        Mat f;
        z_system->rhs(t, z, f);
        for (Index i = 0; i < 6; ++i) {
            const auto at_k = ode::make_builtin_system("damped", {{"k", z(i, 2)}, {"gamma", -0.3}});
            Mat fi;
            at_k->rhs(t.head(1), z.row(i).head(2), fi);
            CHECK((f.row(i).head(2) - fi.row(0)).norm() <= 1e-15);
            CHECK(f(i, 2) == 0.0); // dk/dt = 0
        }
        // jvp and vjp in the state directions against central differences of the field (the
        // field is linear in x, so only rounding separates them); vjp by <a, J v> = <J^T a, v>.
        Mat jv, ja, fp, fm;
        Mat vx = v;
        vx.col(2).setZero(); // the products are those of x; the parameters are not differentiated
        z_system->jvp(t, z, vx, jv);
        z_system->rhs(t, z + 1e-6 * vx, fp);
        z_system->rhs(t, z - 1e-6 * vx, fm);
        CHECK(((fp - fm) / 2e-6 - jv).cwiseAbs().maxCoeff() <= 1e-8);
        z_system->vjp(t, z, v, ja);
        for (Index i = 0; i < 6; ++i)
            CHECK(v.row(i).dot(jv.row(i)) == doctest::Approx(ja.row(i).dot(vx.row(i))).epsilon(1e-13));
    }
    const ode::HamiltonianExpressionSystem h("p^2/2 + w*q^2/2", {"q", "p"}, {{"w", 1.0}});
    CHECK_THROWS_AS(ode::params_as_state(h, {"w"}), UsageError);
    CHECK_THROWS_AS(ode::params_as_state(*damped, {"omega"}), UsageError);
}
