// Poincare sections: crossing times and states against exact solutions, directions,
// interleaved trajectories, surfaces, energy on the shell, bad input.
#include "analysis/poincare.hpp"
#include "core/error.hpp"
#include "ode/builtin_systems.hpp"
#include "problems.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <sstream>

using namespace flowkit;
using namespace flowkit::analysis;

namespace {

/// Runs the section over CSV text; returns the output rows (columns as the input).
Mat section(const std::string& csv, const PoincareParams& params, const Slopes& slopes = {})
{
    std::istringstream in(csv);
    io::TableReader reader(in, "test.csv");
    std::ostringstream out;
    {
        io::TableWriter writer(out, reader.columns());
        poincare_stream(params, slopes, reader, writer);
        writer.flush();
    }
    std::istringstream back(out.str());
    io::TableReader result(back, "out.csv");
    return io::read_rows(result);
}

/// Exact harmonic trajectories q = cos(t + phase), p = -sin(t + phase), sampled every dt on
/// [0, T], trajectories interleaved row by row.
std::string harmonic_samples(double dt, double T, const std::vector<double>& phases)
{
    std::ostringstream s;
    s.precision(17);
    s << "traj,t,q,p\n";
    const long n = std::lround(T / dt);
    for (long k = 0; k <= n; ++k)
        for (std::size_t j = 0; j < phases.size(); ++j) {
            const double t = static_cast<double>(k) * dt;
            s << j << "," << t << "," << std::cos(t + phases[j]) << "," << -std::sin(t + phases[j]) << "\n";
        }
    return s.str();
}

Slopes harmonic_slopes()
{
    static const auto sys = ode::make_builtin_system("harmonic");
    return {{"q", "p"}, [](const Vec& t, const Mat& x, Mat& f) { sys->rhs(t, x, f); }};
}

/// Largest error of crossing times (column 1) against 3 pi/2 + 2 pi k (upward q = 0 crossings
/// of cos t), and of p against 1.
double upward_error(const Mat& rows)
{
    double worst = 0;
    for (Index k = 0; k < rows.rows(); ++k) {
        const double exact = 1.5 * M_PI + 2 * M_PI * static_cast<double>(k);
        worst = std::max({worst, std::abs(rows(k, 1) - exact), std::abs(rows(k, 3) - 1.0),
                          std::abs(rows(k, 2))});
    }
    return worst;
}

} // namespace

TEST_CASE("harmonic oscillator: crossing times and states against the exact solution")
{
    const std::string csv = harmonic_samples(0.05, 20, {0.0});
    PoincareParams params;
    parse_plane("q=0", params);

    const Mat with_system = section(csv, params, harmonic_slopes());
    const Mat with_neighbours = section(csv, params);
    params.interpolation = Interpolation::linear;
    const Mat linear = section(csv, params);
    REQUIRE(with_system.rows() == 3); // 3 pi/2, 7 pi/2, 11 pi/2 < 20
    REQUIRE(with_neighbours.rows() == 3);
    REQUIRE(linear.rows() == 3);
    // Hermite with exact slopes: ~h^4/384 = 2e-8; with second-order difference slopes the
    // slope error ~h^2/6 enters times h: ~3e-6; linear interpolation: ~h^2/8 = 3e-4.
    CHECK(upward_error(with_system) < 1e-7);
    CHECK(upward_error(with_neighbours) < 1e-5);
    CHECK(upward_error(linear) > 1e-5);
    CHECK(upward_error(linear) > 10 * upward_error(with_neighbours));
}

TEST_CASE("directions are counted right, and interleaved trajectories are never joined")
{
    // Trajectory 1 is half a period ahead: its upward crossings are trajectory 0's downward.
    const std::string csv = harmonic_samples(0.05, 20, {0.0, M_PI});
    PoincareParams params;
    parse_plane("q=0", params);
    const Mat up = section(csv, params, harmonic_slopes());
    params.direction = Direction::down;
    const Mat down = section(csv, params, harmonic_slopes());
    params.direction = Direction::both;
    const Mat both = section(csv, params, harmonic_slopes());
    // Per trajectory on [0, 20]: crossings at pi/2 + k pi, k = 0..5, alternating.
    CHECK(both.rows() == 12);
    CHECK(up.rows() == 6);
    CHECK(down.rows() == 6);
    for (Index k = 0; k < up.rows(); ++k) {
        const double phase = up(k, 0) == 0 ? 0.0 : M_PI;
        // cos(t + phase) increases through 0: t + phase = 3 pi/2 (mod 2 pi)
        const double r = std::remainder(up(k, 1) + phase - 1.5 * M_PI, 2 * M_PI);
        CHECK(std::abs(r) < 1e-7);
        CHECK(up(k, 3) > 0.999);
    }
    for (Index k = 0; k < down.rows(); ++k)
        CHECK(down(k, 3) < -0.999);
    // Joining the two trajectories would produce crossings at every row pair (q = +-cos).
    for (Index k = 0; k < both.rows(); ++k)
        CHECK(std::abs(std::remainder(both(k, 1) - 0.5 * M_PI, M_PI)) < 1e-7);
}

TEST_CASE("a surface given by an expression of the columns")
{
    // q + p = sqrt(2) cos(t + pi/4): zero at t = pi/4 + k pi; increasing at 5 pi/4 + 2 k pi.
    const std::string csv = harmonic_samples(0.05, 15, {0.0});
    PoincareParams params;
    params.surface = "q + p";
    const Mat up = section(csv, params, harmonic_slopes());
    REQUIRE(up.rows() == 2);
    CHECK(up(0, 1) == doctest::Approx(1.25 * M_PI).epsilon(1e-9));
    CHECK(up(1, 1) == doctest::Approx(3.25 * M_PI).epsilon(1e-9));
    CHECK(std::abs(up(0, 2) + up(0, 3)) < 1e-7);

    params.surface = "q + pp";
    CHECK_THROWS_WITH_AS(section(csv, params), doctest::Contains("unknown variable 'pp'"), UsageError);
}

TEST_CASE("Henon-Heiles at E = 1/8: every section point is on the energy shell")
{
    const auto sys = ode::make_builtin_system("henon-heiles");
    const double E = 1.0 / 8, y = 0.1;
    // x = 0, py = 0: E = px^2/2 + y^2/2 - y^3/3.
    const double px = std::sqrt(2 * (E - y * y / 2 + y * y * y / 3));
    Mat x = (Mat(1, 4) << 0, y, px, 0).finished();
    auto stepper = ode::make_stepper("gauss4", *sys);
    ode::IntegrateSettings s;
    s.t1 = 200;
    s.dt = 0.01;
    std::ostringstream csv;
    csv.precision(17);
    csv << "traj,t,x,y,px,py\n";
    ode::integrate_fixed(*stepper, x, s, [&](const std::vector<Index>&, const Vec& t, const Mat& xs) {
        csv << 0 << "," << t(0) << "," << xs(0, 0) << "," << xs(0, 1) << "," << xs(0, 2) << ","
            << xs(0, 3) << "\n";
    });
    PoincareParams params;
    parse_plane("x=0", params);
    const Mat points = section(csv.str(), params,
                               {sys->names(), [&](const Vec& t, const Mat& xs, Mat& f) { sys->rhs(t, xs, f); }});
    REQUIRE(points.rows() > 20);
    Vec h;
    sys->H(points.rightCols(4), h);
    // gauss4 at dt = 0.01 keeps H to ~1e-11; the interpolation adds ~dt^4/384.
    CHECK((h.array() - E).abs().maxCoeff() < 1e-8);
    CHECK(points.col(2).cwiseAbs().maxCoeff() < 1e-12);
}

TEST_CASE("poincare: bad input")
{
    PoincareParams params;
    parse_plane("z=0", params);
    CHECK_THROWS_WITH_AS(section("traj,t,q,p\n0,0,1,0\n", params), doctest::Contains("no column 'z'"),
                         UsageError);
    parse_plane("q=0", params);
    CHECK_THROWS_WITH_AS(section("traj,t,q,p\n0,0,1,0\n0,0.1,0.5,0\n0,0.1,-1,0\n", params),
                         doctest::Contains("test.csv:4"), DataError);
    CHECK(section("traj,t,q,p\n", params).rows() == 0);
    CHECK_THROWS_AS(parse_plane("q", params), UsageError);
    CHECK_THROWS_AS(parse_direction("sideways"), UsageError);
    PoincareParams neither;
    CHECK_THROWS_AS(neither.check(), UsageError);
}
