// Random initial conditions (--random-ics, --domain, --energy, --solve-for): the documented
// draw order, reproducibility, the box, the energy shell, redraws and the failures.
#include "core/error.hpp"
#include "ode/builtin_systems.hpp"
#include "ode/energy_shell.hpp"
#include "ode/ensemble.hpp"
#include "ode/expression_systems.hpp"

#include <doctest/doctest.h>

#include <cmath>

using namespace flowkit;
using namespace flowkit::ode;

namespace {

const char* const henon_heiles_text = "px^2/2 + py^2/2 + x^2/2 + y^2/2 + x^2*y - y^3/3";

EnsembleSpec henon_heiles_shell(Index count, double half_width, double energy = 0.125)
{
    EnsembleSpec spec;
    spec.count = count;
    spec.domain = {{"x", -half_width, half_width},
                   {"y", -half_width, half_width},
                   {"px", -half_width, half_width}};
    spec.energy = energy;
    spec.solve_for = "py";
    return spec;
}

Mat draw(const System& system, const EnsembleSpec& spec, std::uint64_t seed,
         Index* candidates = nullptr)
{
    Rng rng(seed);
    return random_initial_conditions(system, spec, rng, candidates);
}

/// Every row on H = energy (to 1e-12: the root is exact to an ulp or two of py ~ 0.5, and
/// |dH/dpy| = py < 1, so |H - E| is a few 1e-17), with py > 0 and x, y, px in the box.
void check_on_shell(const System& system, const Mat& x, double energy, double half_width)
{
    Vec h;
    system.H(x, h);
    for (Index i = 0; i < x.rows(); ++i) {
        CHECK(std::abs(h(i) - energy) < 1e-12);
        CHECK(x(i, 3) > 0);
        for (Index j = 0; j < 3; ++j) {
            CHECK(x(i, j) >= -half_width);
            CHECK(x(i, j) <= half_width);
        }
    }
}

} // namespace

TEST_CASE("ensemble: the documented draw order, row by row, variables in state order")
{
    const auto system = make_builtin_system("harmonic");
    EnsembleSpec spec;
    spec.count = 3;
    spec.domain = {{"p", 10, 20}, {"q", -1, 1}}; // any order in the domain
    const Mat x = draw(*system, spec, 5);
    Rng rng(5);
    for (Index i = 0; i < 3; ++i) {
        CHECK(x(i, 0) == rng.uniform(-1, 1));
        CHECK(x(i, 1) == rng.uniform(10, 20));
    }
}

TEST_CASE("ensemble: same seed, same matrix - another seed, another - all inside the box")
{
    const auto system = make_builtin_system("henon-heiles");
    EnsembleSpec spec;
    spec.count = 500;
    spec.domain = {{"x", -0.5, 0.25}, {"y", 0, 1e-3}, {"px", -2, -1}, {"py", 3, 3.5}};
    const Mat a = draw(*system, spec, 11), b = draw(*system, spec, 11), c = draw(*system, spec, 12);
    REQUIRE(a.rows() == 500);
    REQUIRE(a.cols() == 4);
    CHECK(a == b);
    CHECK((a - c).cwiseAbs().minCoeff() > 0);
    for (Index j = 0; j < 4; ++j) {
        const auto& r = spec.domain[static_cast<std::size_t>(j)];
        CHECK(a.col(j).minCoeff() >= r.lo);
        CHECK(a.col(j).maxCoeff() <= r.hi);
        // 500 uniform draws cover most of the range
        CHECK(a.col(j).maxCoeff() - a.col(j).minCoeff() > 0.9 * (r.hi - r.lo));
    }
}

TEST_CASE("ensemble: Henon-Heiles on the shell E = 1/8, solving for py")
{
    const auto system = make_builtin_system("henon-heiles");
    const auto spec = henon_heiles_shell(200, 0.1);
    Index candidates = 0;
    const Mat x = draw(*system, spec, 1, &candidates);
    REQUIRE(x.rows() == 200);
    CHECK(candidates == 200); // every draw in this small box has a root
    check_on_shell(*system, x, 0.125, 0.1);
    // H = py^2/2 + rest: the root is sqrt(2 (E - rest))
    Mat x0 = x;
    x0.col(3).setZero();
    Vec rest;
    system->H(x0, rest);
    for (Index i = 0; i < x.rows(); ++i)
        CHECK(std::abs(x(i, 3) - std::sqrt(2 * (0.125 - rest(i)))) < 1e-15);
    CHECK(x == draw(*system, spec, 1));
    CHECK(x != draw(*system, spec, 2));
}

TEST_CASE("ensemble: the same shell for Henon-Heiles given by --hamiltonian")
{
    const HamiltonianExpressionSystem system(henon_heiles_text, {"x", "y", "px", "py"}, {});
    const auto builtin = make_builtin_system("henon-heiles");
    const auto spec = henon_heiles_shell(100, 0.1);
    const Mat x = draw(system, spec, 7);
    check_on_shell(system, x, 0.125, 0.1);
    // the drawn columns are the same numbers; py agrees to round-off
    const Mat y = draw(*builtin, spec, 7);
    CHECK(x.leftCols(3) == y.leftCols(3));
    CHECK((x.col(3) - y.col(3)).cwiseAbs().maxCoeff() < 1e-15);
}

TEST_CASE("ensemble: a non-separable Hamiltonian, and solving for a position")
{
    SUBCASE("H = (1 + q^2) p^2/2 + q^2/2, solve for p")
    {
        const HamiltonianExpressionSystem system("(1 + q^2)*p^2/2 + q^2/2", {"q", "p"}, {});
        EnsembleSpec spec;
        spec.count = 100;
        spec.domain = {{"q", -1, 1}};
        spec.energy = 0.75;
        spec.solve_for = "p";
        const Mat x = draw(system, spec, 3);
        Vec h;
        system.H(x, h);
        for (Index i = 0; i < x.rows(); ++i) {
            CHECK(std::abs(h(i) - 0.75) < 1e-12);
            const double q = x(i, 0);
            const double p = std::sqrt((1.5 - q * q) / (1 + q * q));
            CHECK(x(i, 1) == doctest::Approx(p).epsilon(1e-14));
        }
    }
    SUBCASE("pendulum H = p^2/2 - cos(q), solve for q: the smallest positive root acos(p^2/2 - E)")
    {
        const HamiltonianExpressionSystem system("p^2/2 - cos(q)", {"q", "p"}, {});
        EnsembleSpec spec;
        spec.count = 100;
        spec.domain = {{"p", -1, 1}};
        spec.energy = 0.5; // then p^2/2 - E is in [-0.5, 0], and every draw has a root in (0, pi)
        spec.solve_for = "q";
        Index candidates = 0;
        const Mat x = draw(system, spec, 4, &candidates);
        CHECK(candidates == 100);
        Vec h;
        system.H(x, h);
        for (Index i = 0; i < x.rows(); ++i) {
            CHECK(std::abs(h(i) - 0.5) < 1e-12);
            const double p = x(i, 1);
            // q = acos(c) with c in [-0.5, 0]: dH/dq = sin(q) >= 0.86, so q is exact to round-off
            CHECK(x(i, 0) == doctest::Approx(std::acos(p * p / 2 - 0.5)).epsilon(1e-14));
        }
    }
}

TEST_CASE("ensemble: draws without a root are redrawn - a larger count extends the sequence")
{
    const auto system = make_builtin_system("henon-heiles");
    // In [-0.6, 0.6]^3 many draws have H(py = 0) > 1/8: no root, redrawn.
    const auto spec = henon_heiles_shell(1500, 0.6);
    Index candidates = 0;
    const Mat x = draw(*system, spec, 9, &candidates);
    REQUIRE(x.rows() == 1500);
    CHECK(candidates > 2 * 1500); // more than half are redrawn (the box is large)
    check_on_shell(*system, x, 0.125, 0.6);
    // a run asking for 1000 gives the first 1000 of these, bit for bit (over a block edge)
    const Mat first = draw(*system, henon_heiles_shell(1000, 0.6), 9);
    CHECK(first == x.topRows(1000));
}

TEST_CASE("ensemble: no draw on the shell is a ComputeError naming E and the variable")
{
    const auto system = make_builtin_system("henon-heiles");
    // H >= 0 near the origin: E = -0.1 is below the minimum of H
    const auto spec = henon_heiles_shell(5, 0.1, -0.1);
    Rng rng(0);
    CHECK_THROWS_WITH_AS(random_initial_conditions(*system, spec, rng),
                         doctest::Contains("none of the first 1000 draws has a positive py "
                                           "with H = -0.1"),
                         ComputeError);
    // Harmonic, H = (q^2 + p^2)/2 = 1/2 with q in [-1500, 1500]: one draw in 1500 has a root
    // (|q| < 1), fewer than the one in 1000 required. With seed 1 a few are found first.
    const auto harmonic = make_builtin_system("harmonic");
    EnsembleSpec rare;
    rare.count = 50;
    rare.domain = {{"q", -1500, 1500}};
    rare.energy = 0.5;
    rare.solve_for = "p";
    Rng rng1(1);
    CHECK_THROWS_WITH_AS(random_initial_conditions(*harmonic, rare, rng1),
                         "--energy 0.5: only 8 of the first 9000 draws have a positive p with H = "
                         "0.5 (50 wanted: at least one draw in 1000 must have one); choose a "
                         "--domain where H < 0.5 at p = 0 (or a larger --energy)",
                         ComputeError);
    // One in 500 is enough (seed 1; 200 found in about 10^5 draws)
    rare.domain = {{"q", -500, 500}};
    rare.count = 200;
    Rng rng2(1);
    Index candidates = 0;
    CHECK(random_initial_conditions(*harmonic, rare, rng2, &candidates).rows() == 200);
    CHECK(candidates > 50000);
}

TEST_CASE("ensemble: check() refuses what the options may not say")
{
    const auto hh = make_builtin_system("henon-heiles");
    const auto lorenz = make_builtin_system("lorenz");
    auto usage = [](const System& system, const EnsembleSpec& spec, const char* message) {
        CHECK_THROWS_WITH_AS(spec.check(system), message, UsageError);
    };
    EnsembleSpec ok = henon_heiles_shell(5, 0.1);
    CHECK_NOTHROW(ok.check(*hh));

    auto s = ok;
    s.count = 0;
    usage(*hh, s, "--random-ics must be >= 1 (got 0)");
    s = ok;
    s.domain.pop_back();
    usage(*hh, s,
          "--domain has no range for px (give one for each of x,y,px; --solve-for computes py)");
    s = ok;
    s.domain.push_back({"z", 0, 1});
    usage(*hh, s, "--domain: the system has no variable 'z' (it has x,y,px,py)");
    s = ok;
    s.domain.push_back({"py", 0, 1});
    usage(*hh, s, "--domain: py has a range, but --solve-for py computes it; leave it out");
    s = ok;
    s.domain[0].lo = 1;
    usage(*hh, s, "--domain: x=1:0.1: LO must not exceed HI");
    s = ok;
    s.solve_for = "q";
    usage(*hh, s, "--solve-for: the system has no variable 'q' (it has x,y,px,py)");
    s = ok;
    s.solve_for.clear();
    usage(*hh, s, "--energy needs --solve-for VAR, the state variable to solve for");
    s = ok;
    s.energy.reset();
    usage(*hh, s, "--solve-for needs --energy E");
    s.solve_for.clear();
    usage(*hh, s, "--domain has no range for py (give one for each of x,y,px,py)");

    EnsembleSpec l;
    l.count = 1;
    l.domain = {{"x", 0, 1}, {"y", 0, 1}};
    l.energy = 1;
    l.solve_for = "z";
    usage(*lorenz, l, "--energy needs a system with a Hamiltonian; this one has none");
}

TEST_CASE("energy shell: rows without a positive root are flagged - the others are exact")
{
    const auto system = make_builtin_system("harmonic"); // H = (q^2 + p^2)/2
    const double q_near_1 = 1 - 0x1p-53;                 // q^2/2 = 1/2 - 2^-53
    Mat x(5, 2);
    x << 0.5, 0,       //
        2, 0,          // q^2/2 = 2 > E: no root
        -0.6, 7,       // p is overwritten
        1.5, 0,        // q^2/2 > E: no root
        q_near_1, 0.3; // the root p = 2^-26 is a grid point, where H - E is exactly 0
    std::vector<bool> found;
    CHECK(solve_energy_shell(*system, 0.5, 1, x, found) == 3);
    CHECK(found == std::vector<bool>{true, false, true, false, true});
    // q^2/2 = E: the exact root p = 0 is not positive, but H = E to the last bit once p^2/2 is
    // below half an ulp of E, which is the first grid point 2^-30: taken as the root
    Mat edge(1, 2);
    edge << 1, 0;
    CHECK(solve_energy_shell(*system, 0.5, 1, edge, found) == 1);
    CHECK(edge(0, 1) == 0x1p-30);
    CHECK(x(0, 1) == doctest::Approx(std::sqrt(0.75)).epsilon(1e-15));
    CHECK(x(2, 1) == doctest::Approx(0.8).epsilon(1e-15));
    CHECK(x(4, 1) == 0x1p-26);
    CHECK(x(0, 0) == 0.5); // the other columns stay
    CHECK(x(2, 0) == -0.6);
}
