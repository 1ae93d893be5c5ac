// Distances from section points to a reference section: against a brute-force scan over many
// random points, orbit by orbit; the default compared columns; a missing orbit; bad names; and
// the distance column poincare_stream appends.
#include "analysis/poincare.hpp"
#include "analysis/section_distance.hpp"
#include "core/error.hpp"
#include "core/rng.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <sstream>

using namespace flowkit;
using namespace flowkit::analysis;

namespace {

SectionDistance distance_from(const std::string& csv, std::vector<std::string> vars = {},
                              const std::string& exclude = "")
{
    std::istringstream in(csv);
    io::TableReader reader(in, "ref.csv");
    return SectionDistance(reader, std::move(vars), exclude);
}

} // namespace

TEST_CASE("section distance: the nearest point of the same orbit, as a full scan finds it")
{
    // Two orbits of 2000 random points each in 3 columns; queries near and far.
    Rng rng(7);
    std::ostringstream csv;
    csv.precision(17);
    csv << "traj,t,a,b,c,H\n";
    std::vector<std::vector<std::array<double, 3>>> orbits(2);
    for (int i = 0; i < 4000; ++i) {
        const int k = i % 2;
        const std::array<double, 3> p{rng.uniform(-1, 1), rng.uniform(-1, 1), rng.uniform(-1, 1)};
        orbits[std::size_t(k)].push_back(p);
        csv << 5 * k << "," << i << "," << p[0] << "," << p[1] << "," << p[2] << ",9\n";
    }
    const SectionDistance distance = distance_from(csv.str());
    CHECK(distance.vars() == std::vector<std::string>{"a", "b", "c"});
    for (int q = 0; q < 500; ++q) {
        const int k = q % 2;
        const double scale = q < 250 ? 1.2 : 3; // some queries far outside the points
        const std::array<double, 3> x{scale * rng.uniform(-1, 1), scale * rng.uniform(-1, 1),
                                      scale * rng.uniform(-1, 1)};
        double best = std::numeric_limits<double>::infinity();
        for (const auto& p : orbits[std::size_t(k)])
            best = std::min(best, std::hypot(p[0] - x[0], p[1] - x[1], p[2] - x[2]));
        REQUIRE(distance(5 * k, x.data()) == doctest::Approx(best).epsilon(1e-14));
    }
    // A point of the reference is at distance 0 from its own orbit, not from the other.
    const auto& p = orbits[1][17];
    CHECK(distance(5, p.data()) == 0);
    CHECK(distance(0, p.data()) > 0);
    // An orbit the reference does not have.
    CHECK_THROWS_AS(distance(3, p.data()), DataError);
}

TEST_CASE("section distance: chosen columns, the plane's variable left out, bad names")
{
    const std::string csv = "traj,t,x,y,py\n0,1,0,0.5,0.1\n0,2,0,-0.5,0.2\n";
    CHECK(distance_from(csv, {}, "x").vars() == std::vector<std::string>{"y", "py"});
    const SectionDistance y_only = distance_from(csv, {"y"});
    const double q = 0.4;
    CHECK(y_only(0, &q) == doctest::Approx(0.1).epsilon(1e-14));
    CHECK_THROWS_AS(distance_from(csv, {"z"}), UsageError);
    CHECK_THROWS_AS(distance_from("traj,t,H\n0,1,2\n"), UsageError);
    // Without a traj column every point is orbit 0.
    const SectionDistance single = distance_from("t,y\n1,2\n2,4\n");
    const double y = 3.5;
    CHECK(single(0, &y) == doctest::Approx(0.5).epsilon(1e-14));
}

TEST_CASE("poincare_stream appends each crossing's distance to the reference section")
{
    // q = cos(t + phase), p = -sin(t + phase): the upward q = 0 crossings have p = 1. A reference
    // at p = 0.9 for orbit 0 and at p = 1.5 for orbit 1.
    std::ostringstream csv;
    csv.precision(17);
    csv << "traj,t,q,p\n";
    for (int k = 0; k <= 1000; ++k)
        for (int j = 0; j < 2; ++j) {
            const double t = 0.02 * k, phase = 0.3 * j;
            csv << j << "," << t << "," << std::cos(t + phase) << "," << -std::sin(t + phase)
                << "\n";
        }
    std::istringstream in(csv.str());
    io::TableReader reader(in, "test.csv");
    const SectionDistance distance = distance_from("traj,q,p\n0,0,0.9\n0,0,-3\n1,0,1.5\n", {}, "q");
    std::ostringstream out;
    {
        std::vector<std::string> columns = reader.columns();
        columns.push_back("distance");
        io::TableWriter writer(out, columns);
        PoincareParams params;
        parse_plane("q=0", params);
        CHECK(poincare_stream(params, {}, reader, writer, &distance) == 6);
        writer.flush();
    }
    std::istringstream back(out.str());
    io::TableReader result(back, "out.csv");
    const Mat rows = io::read_rows(result);
    REQUIRE(rows.cols() == 5);
    for (Index i = 0; i < rows.rows(); ++i) {
        const double reference = rows(i, 0) == 0 ? 0.9 : 1.5;
        CHECK(rows(i, 4) == doctest::Approx(std::abs(rows(i, 3) - reference)).epsilon(1e-12));
    }
    // An input without a compared column.
    std::istringstream bad("traj,t,q\n0,0,1\n");
    io::TableReader bad_reader(bad, "bad.csv");
    std::ostringstream sink;
    io::TableWriter writer(sink, {"traj", "t", "q", "distance"});
    PoincareParams params;
    parse_plane("q=0", params);
    CHECK_THROWS_AS(poincare_stream(params, {}, bad_reader, writer, &distance), UsageError);
}
