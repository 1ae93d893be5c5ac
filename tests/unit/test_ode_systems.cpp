// Every built-in system: jvp, vjp, grad_H and hess_H_vec against central finite differences,
// and the Hamiltonian structure F = J grad H.
#include "core/error.hpp"
#include "ode/builtin_systems.hpp"

#include <doctest/doctest.h>

using namespace flowkit;
using namespace flowkit::ode;

namespace {

const char* const all_systems[] = {"harmonic", "damped",  "pendulum", "henon-heiles",
                                   "kepler",   "lotka-volterra", "van-der-pol", "lorenz",
                                   "double-pendulum"};

/// Random states away from singularities (Kepler's origin, negative populations).
Mat sample_states(Index n, Index dim)
{
    Mat x = Mat::Random(n, dim) * 0.8;
    x.array() += 1.2; // all components in [0.4, 2]
    return x;
}

/// Relative size of a - b against the size of b (floored at 1e-8).
double rel_error(const Mat& a, const Mat& b)
{
    return (a - b).norm() / std::max(b.norm(), 1e-8);
}

} // namespace

TEST_CASE("built-in systems: jvp and vjp against central differences")
{
    const double eps = 1e-6;
    for (const char* name : all_systems) {
        CAPTURE(name);
        const auto sys = make_builtin_system(name);
        const Index n = 7, d = sys->dim();
        const Mat x = sample_states(n, d);
        const Mat v = Mat::Random(n, d);
        const Mat a = Mat::Random(n, d);
        const Vec t = Vec::Constant(n, 0.3);

        Mat fp, fm, jv, ja;
        sys->rhs(t, x + eps * v, fp);
        sys->rhs(t, x - eps * v, fm);
        const Mat fd = (fp - fm) / (2 * eps);
        sys->jvp(t, x, v, jv);
        // Central differences are accurate to O(eps^2) ~ 1e-12 plus round-off ~ 1e-10.
        CHECK(rel_error(jv, fd) < 1e-7);

        // vjp is the transpose: <a, J v> = <J^T a, v> row by row, for every direction v.
        sys->vjp(t, x, a, ja);
        for (Index j = 0; j < d; ++j) {
            Mat e = Mat::Zero(n, d);
            e.col(j).setOnes();
            Mat je;
            sys->jvp(t, x, e, je);
            const Vec lhs = (a.array() * je.array()).rowwise().sum();
            CHECK((lhs - ja.col(j)).norm() < 1e-12 * std::max(1.0, lhs.norm()));
        }
    }
}

TEST_CASE("Hamiltonian systems: grad_H, hess_H_vec by differences, F = J grad H")
{
    const double eps = 1e-6;
    int hamiltonians = 0;
    for (const char* name : all_systems) {
        CAPTURE(name);
        const auto sys = make_builtin_system(name);
        if (!sys->hamiltonian())
            continue;
        ++hamiltonians;
        const Index n = 5, d = sys->dim();
        const Mat x = sample_states(n, d);
        const Mat v = Mat::Random(n, d);

        Vec hp, hm;
        Mat g, gp, gm, hv, f, jg;
        sys->grad_H(x, g);
        for (Index j = 0; j < d; ++j) {
            Mat e = Mat::Zero(n, d);
            e.col(j).setConstant(eps);
            sys->H(x + e, hp);
            sys->H(x - e, hm);
            const Vec fd = (hp - hm) / (2 * eps);
            CHECK((g.col(j) - fd).norm() < 1e-7 * std::max(1.0, fd.norm()));
        }
        sys->grad_H(x + eps * v, gp);
        sys->grad_H(x - eps * v, gm);
        sys->hess_H_vec(x, v, hv);
        CHECK(rel_error(hv, (gp - gm) / (2 * eps)) < 1e-7);

        sys->rhs(Vec::Zero(n), x, f);
        apply_J(g, jg);
        CHECK(rel_error(f, jg) < 1e-14);

        if (sys->separable()) {
            Mat gq, gpm;
            sys->grad_V(x.leftCols(d / 2), gq);
            sys->grad_T(x.rightCols(d / 2), gpm);
            CHECK(rel_error(gq, g.leftCols(d / 2)) < 1e-14);
            CHECK(rel_error(gpm, g.rightCols(d / 2)) < 1e-14);
        }
    }
    CHECK(hamiltonians == 5);
}

TEST_CASE("built-in systems: parameters, names and errors")
{
    const auto hh = make_builtin_system("henon-heiles");
    CHECK(hh->names() == std::vector<std::string>{"x", "y", "px", "py"});
    CHECK(hh->separable());
    CHECK_FALSE(make_builtin_system("double-pendulum")->separable());
    CHECK_FALSE(make_builtin_system("lorenz")->hamiltonian());

    // H-H at (0, 0.1, 0.5, 0): 0.125 + 0.005 - 0.001/3
    Vec h;
    hh->H((Mat(1, 4) << 0, 0.1, 0.5, 0).finished(), h);
    CHECK(h(0) == doctest::Approx(0.125 + 0.005 - 0.001 / 3).epsilon(1e-15));

    const auto vdp = make_builtin_system("van-der-pol", {{"mu", 3.0}});
    Mat f;
    vdp->rhs(Vec::Zero(1), (Mat(1, 2) << 2, 1).finished(), f);
    CHECK(f(0, 1) == doctest::Approx(3.0 * (1 - 4) * 1 - 2));
    CHECK(vdp->describe()["params"]["mu"] == 3.0);

    CHECK_THROWS_WITH_AS(make_builtin_system("nope"), doctest::Contains("unknown system"),
                         UsageError);
    CHECK_THROWS_WITH_AS(make_builtin_system("lorenz", {{"mu", 1.0}}),
                         doctest::Contains("no parameter 'mu'"), UsageError);
}
