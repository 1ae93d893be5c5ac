// Systems given by expressions agree with the built-in ones to round-off, and their derivatives
// with finite differences.
#include "core/error.hpp"
#include "ode/expression_systems.hpp"
#include "problems.hpp"

#include <doctest/doctest.h>

using namespace flowkit;
using namespace flowkit::ode;

namespace {

double rel_error(const Mat& a, const Mat& b) { return (a - b).norm() / std::max(b.norm(), 1e-300); }

/// Every member of the System contract of `a` against `b` on random states.
void check_same_system(const System& a, const System& b, double tol)
{
    const Index n = 50, d = b.dim();
    const Mat x = Mat::Random(n, d);
    const Mat v = Mat::Random(n, d);
    const Vec t = Vec::Random(n);
    Mat fa, fb;
    a.rhs(t, x, fa);
    b.rhs(t, x, fb);
    CHECK(rel_error(fa, fb) < tol);
    a.jvp(t, x, v, fa);
    b.jvp(t, x, v, fb);
    CHECK(rel_error(fa, fb) < tol);
    a.vjp(t, x, v, fa);
    b.vjp(t, x, v, fb);
    CHECK(rel_error(fa, fb) < tol);
    REQUIRE(a.hamiltonian() == b.hamiltonian());
    if (!b.hamiltonian())
        return;
    Vec ha, hb;
    a.H(x, ha);
    b.H(x, hb);
    CHECK(rel_error(ha, hb) < tol);
    a.grad_H(x, fa);
    b.grad_H(x, fb);
    CHECK(rel_error(fa, fb) < tol);
    a.hess_H_vec(x, v, fa);
    b.hess_H_vec(x, v, fb);
    CHECK(rel_error(fa, fb) < tol);
    REQUIRE(a.separable() == b.separable());
    if (b.separable()) {
        a.grad_V(x.leftCols(d / 2), fa);
        b.grad_V(x.leftCols(d / 2), fb);
        CHECK(rel_error(fa, fb) < tol);
        a.grad_T(x.rightCols(d / 2), fa);
        b.grad_T(x.rightCols(d / 2), fb);
        CHECK(rel_error(fa, fb) < tol);
    }
}

} // namespace

TEST_CASE("--hamiltonian and --rhs give the built-in systems to round-off")
{
    const HamiltonianExpressionSystem pendulum("p^2/2 - cos(q)", {"q", "p"}, {});
    check_same_system(pendulum, *make_builtin_system("pendulum"), 1e-14);

    const HamiltonianExpressionSystem hh(
        "(px^2 + py^2)/2 + (x^2 + y^2)/2 + lam*(x^2*y - y^3/3)", {"x", "y", "px", "py"},
        {{"lam", 0.7}});
    check_same_system(hh, *make_builtin_system("henon-heiles", {{"lambda", 0.7}}), 1e-14);

    const HamiltonianExpressionSystem dp(
        "(p1^2 + 2*p2^2 - 2*p1*p2*cos(q1-q2)) / (2*(1 + sin(q1-q2)^2)) - 2*cos(q1) - cos(q2)",
        {"q1", "q2", "p1", "p2"}, {});
    check_same_system(dp, *make_builtin_system("double-pendulum"), 1e-13);

    const RhsSystem lorenz("s*(y - x); x*(r - z) - y; x*y - b*z", {"x", "y", "z"},
                           {{"s", 10}, {"r", 28}, {"b", 8.0 / 3}});
    check_same_system(lorenz, *make_builtin_system("lorenz"), 1e-14);
    CHECK(lorenz.autonomous());
}

TEST_CASE("a Hamiltonian system from an expression integrates like the built-in one")
{
    const HamiltonianExpressionSystem user("(px^2 + py^2)/2 + (x^2 + y^2)/2 + x^2*y - y^3/3",
                                           {"x", "y", "px", "py"}, {});
    const auto builtin = make_builtin_system("henon-heiles");
    const Mat x0 = (Mat(2, 4) << 0, 0.1, 0.5, 0, 0.1, -0.1, 0.2, 0.3).finished();
    for (const char* m : {"gauss4", "verlet", "dopri5"}) {
        CAPTURE(m);
        auto a = make_stepper(m, user);
        auto b = make_stepper(m, *builtin);
        // Ten time units of a near-chaotic orbit: round-off differences stay ~1e-13.
        CHECK((test::integrate_to(*a, x0, 0, 10, 0.05) - test::integrate_to(*b, x0, 0, 10, 0.05))
                  .norm() < 1e-11);
    }
}

TEST_CASE("expression systems: derivatives against finite differences, time dependence")
{
    const RhsSystem forced("v; -w^2*sin(u) - c*v + a*cos(1.3*t); exp(-u^2)*atan2(v, 2)",
                           {"u", "v", "s"}, {{"w", 1.5}, {"c", 0.1}, {"a", 0.4}});
    CHECK_FALSE(forced.autonomous());
    const Index n = 9, d = 3;
    const Mat x = Mat::Random(n, d), v = Mat::Random(n, d), a = Mat::Random(n, d);
    const Vec t = Vec::Random(n);
    const double eps = 1e-6;
    Mat fp, fm, jv, ja, je;
    forced.rhs(t, x + eps * v, fp);
    forced.rhs(t, x - eps * v, fm);
    forced.jvp(t, x, v, jv);
    CHECK(rel_error(jv, (fp - fm) / (2 * eps)) < 1e-8);
    forced.vjp(t, x, a, ja);
    for (Index j = 0; j < d; ++j) {
        Mat e = Mat::Zero(n, d);
        e.col(j).setOnes();
        forced.jvp(t, x, e, je);
        CHECK((((a.array() * je.array()).rowwise().sum()).matrix() - ja.col(j)).norm() < 1e-13);
    }

    const HamiltonianExpressionSystem coupled("p^2*q/2 + q^4/4 + sqrt(1 + p^2)", {"q", "p"}, {});
    CHECK_FALSE(coupled.separable());
    Mat g, gp, gm, hv;
    coupled.grad_H(x.leftCols(2), g);
    coupled.grad_H(x.leftCols(2) + eps * v.leftCols(2), gp);
    coupled.grad_H(x.leftCols(2) - eps * v.leftCols(2), gm);
    coupled.hess_H_vec(x.leftCols(2), v.leftCols(2), hv);
    CHECK(rel_error(hv, (gp - gm) / (2 * eps)) < 1e-8);
    CHECK_THROWS_AS(make_stepper("verlet", coupled), UsageError);
}

TEST_CASE("bad expressions and variables are usage errors that point at the character")
{
    CHECK_THROWS_WITH_AS(RhsSystem("p; -sin(q) + z", {"q", "p"}, {}), doctest::Contains("column 14"),
                         UsageError);
    CHECK_THROWS_WITH_AS(RhsSystem("p; -sine(q)", {"q", "p"}, {}),
                         doctest::Contains("unknown function 'sine'"), UsageError);
    CHECK_THROWS_WITH_AS(HamiltonianExpressionSystem("p^2/2 - cos(q", {"q", "p"}, {}),
                         doctest::Contains("column 12"), UsageError);
    CHECK_THROWS_WITH_AS(RhsSystem("p", {"q", "p"}, {}), doctest::Contains("1 expression for 2 variables"),
                         UsageError);
    CHECK_THROWS_WITH_AS(HamiltonianExpressionSystem("q^2", {"q", "p", "r"}, {}),
                         doctest::Contains("even number"), UsageError);
    CHECK_THROWS_WITH_AS(RhsSystem("1; 2", {"t", "p"}, {}), doctest::Contains("reserved"),
                         UsageError);
    CHECK_THROWS_WITH_AS(RhsSystem("p; -q", {"q", "2p"}, {}), doctest::Contains("'2p' is not a name"),
                         UsageError);
    CHECK_THROWS_WITH_AS(RhsSystem("p; -q", {"q", "p"}, {{"t", 2}}),
                         doctest::Contains("'t' is the time"), UsageError);
    CHECK_THROWS_WITH_AS(RhsSystem("p; -q", {"q", "p"}, {{"p", 2}}),
                         doctest::Contains("also a variable"), UsageError);
    CHECK_THROWS_WITH_AS(RhsSystem("p; ()", {"q", "p"}, {}),
                         doctest::Contains("unexpected ')': an expression is missing at column 5"),
                         UsageError);
}
