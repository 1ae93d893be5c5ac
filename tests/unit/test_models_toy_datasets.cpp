// The toy data sets of `cnf-sample toy`: shapes and seeds for every set, the unknown-name
// message, and per set a statistical check (n = 20000, fixed seeds) whose expected value is
// derived from the set's definition, with a tolerance of a few standard errors.
#include "core/error.hpp"
#include "models/toy_datasets.hpp"

#include <doctest/doctest.h>

#include <array>
#include <cmath>
#include <string>

using namespace flowkit;
using namespace flowkit::models;

namespace {

constexpr double pi = 3.14159265358979323846;
constexpr Index big = 20000;

Mat toy(const std::string& name, Index n, std::uint64_t seed)
{
    Rng rng(seed);
    return toy_dataset(name, n, rng);
}

Vec radii(const Mat& x) { return x.rowwise().norm(); }

double mean(const std::vector<double>& v)
{
    double s = 0;
    for (double a : v)
        s += a;
    return s / static_cast<double>(v.size());
}

double sd(const std::vector<double>& v)
{
    const double m = mean(v);
    double s = 0;
    for (double a : v)
        s += (a - m) * (a - m);
    return std::sqrt(s / static_cast<double>(v.size() - 1));
}

} // namespace

TEST_CASE("toy data sets: n rows of two finite columns, fixed by the seed")
{
    const std::vector<std::string> expected = {"moons",    "8gaussians", "circles",   "checkerboard",
                                               "2spirals", "pinwheel",   "swissroll", "rings"};
    CHECK(toy_dataset_names() == expected);
    for (const auto& name : toy_dataset_names())
        for (Index n : {0, 1, 7, 1000}) {
            CAPTURE(name);
            CAPTURE(n);
            const Mat a = toy(name, n, 42);
            REQUIRE(a.rows() == n);
            REQUIRE(a.cols() == 2);
            CHECK(a.allFinite());
            const bool same = a == toy(name, n, 42);
            CHECK(same);
            if (n > 0) {
                const bool differ = a != toy(name, n, 43);
                CHECK(differ);
            }
        }
}

TEST_CASE("toy data sets: bad name or size")
{
    Rng rng(1);
    try {
        toy_dataset("spiral", 10, rng);
        FAIL("no exception");
    } catch (const UsageError& e) {
        const std::string what = e.what();
        CHECK(what.find("unknown toy data set 'spiral'") != std::string::npos);
        CHECK(what.find("(one of moons, 8gaussians, circles, checkerboard, 2spirals, pinwheel, "
                        "swissroll, rings)") != std::string::npos);
    }
    CHECK_THROWS_AS(toy_dataset("moons", -1, rng), UsageError);
}

TEST_CASE("toy 8gaussians: eight equal modes of spread 0.5/1.414 around 4 (unit vectors)/1.414")
{
    const Mat x = toy("8gaussians", big, 7);
    const double h = 1 / std::sqrt(2.0);
    const double unit[8][2] = {{1, 0}, {-1, 0}, {0, 1}, {0, -1}, {h, h}, {h, -h}, {-h, h}, {-h, -h}};
    const double sigma = 0.5 / 1.414;
    std::array<Index, 8> count{};
    double s1 = 0, s2 = 0, worst = 0;
    for (Index i = 0; i < big; ++i) {
        int best = 0;
        double best_d = 1e300;
        for (int k = 0; k < 8; ++k) {
            const double d = std::hypot(x(i, 0) - 4 * unit[k][0] / 1.414, x(i, 1) - 4 * unit[k][1] / 1.414);
            if (d < best_d) {
                best_d = d;
                best = k;
            }
        }
        ++count[best];
        s1 += std::pow(x(i, 0) - 4 * unit[best][0] / 1.414, 2);
        s2 += std::pow(x(i, 1) - 4 * unit[best][1] / 1.414, 2);
        worst = std::max(worst, best_d);
    }
    // Within 6 sigma of its centre: P(chi2_2 > 36) = exp(-18) per point.
    CHECK(worst < 6 * sigma);
    // Standard error of the spread about 0.35 %; the 0.2 % of points nearer to a
    // neighbouring centre shrink it by less than 0.1 %.
    CHECK(std::abs(std::sqrt(s1 / big) / sigma - 1) < 0.03);
    CHECK(std::abs(std::sqrt(s2 / big) / sigma - 1) < 0.03);
    // Fractions 1/8 within 1.5 percentage points (standard error 0.23 points).
    for (int k = 0; k < 8; ++k) {
        CAPTURE(k);
        CHECK(std::abs(static_cast<double>(count[k]) / big - 0.125) < 0.015);
    }
}

TEST_CASE("toy circles: radii 3 and 1.5, half the points each, noise 0.08 before the scaling")
{
    const Vec r = radii(toy("circles", big, 8)) / 3;
    std::vector<double> outer, inner;
    for (Index i = 0; i < big; ++i)
        (r(i) > 0.75 ? outer : inner).push_back(r(i));
    // Exactly half on each circle; the midpoint 0.75 is 3.1 sigma away, which misplaces about
    // 0.1 % of the points. Half each within 2 % (of the half).
    CHECK(std::abs(static_cast<double>(outer.size()) / big - 0.5) < 0.01);
    CHECK(std::abs(static_cast<double>(inner.size()) / big - 0.5) < 0.01);
    // Mean radius = R + 0.08^2 / (2R) to first order; standard error 0.0008.
    CHECK(std::abs(mean(outer) - 1.0) < 0.02);
    CHECK(std::abs(mean(inner) - 0.5) < 0.02);
    // Noise before the scaling: sd 0.08 (standard error 0.7 %); after it would give 0.027.
    CHECK(std::abs(sd(outer) / 0.08 - 1) < 0.05);
    CHECK(std::abs(sd(inner) / 0.08 - 1) < 0.05);
}

TEST_CASE("toy rings: four equal rings at radii 3, 2.25, 1.5, 0.75")
{
    const Vec r = radii(toy("rings", big, 9));
    const double radius[4] = {3, 2.25, 1.5, 0.75};
    std::array<std::vector<double>, 4> ring;
    for (Index i = 0; i < big; ++i)
        ring[r(i) > 2.625 ? 0 : r(i) > 1.875 ? 1 : r(i) > 1.125 ? 2 : 3].push_back(r(i));
    for (int k = 0; k < 4; ++k) {
        CAPTURE(k);
        // Each ring holds a quarter (standard error 0.003; the midpoints between the radii are
        // 0.375 = 4.7 sigma away, so no point is expected to cross).
        CHECK(std::abs(double(ring[k].size()) / double(big) - 0.25) < 0.015);
        // Mean radius R + 0.08^2/(2R) to first order; standard error 0.0011.
        CHECK(std::abs(mean(ring[k]) - radius[k]) < 0.01);
        // The noise is added after the scaling by 3: sd 0.08 (standard error 0.0008), where
        // noise before the scaling would give 0.24.
        CHECK(std::abs(sd(ring[k]) / 0.08 - 1) < 0.05);
    }
}

TEST_CASE("toy checkerboard: the eight even squares of side 2 in the square of side 8 about 0, equally filled")
{
    const Mat x = toy("checkerboard", big, 10);
    // x1 = 4u - 2 with floor(x1) = c, x2 = v - 2b + (c mod 2): floor(x2) = c mod 2 - 2b has the
    // parity of c. After doubling, floor(x1/2) + floor(x2/2) is even.
    std::array<Index, 16> cells{};
    bool inside = true, even = true;
    for (Index i = 0; i < big; ++i) {
        inside = inside && x(i, 0) >= -4 && x(i, 0) < 4 && x(i, 1) >= -4 && x(i, 1) < 4;
        const long c1 = static_cast<long>(std::floor(x(i, 0) / 2));
        const long c2 = static_cast<long>(std::floor(x(i, 1) / 2));
        even = even && (c1 + c2) % 2 == 0;
        if (c1 >= -2 && c1 < 2 && c2 >= -2 && c2 < 2)
            ++cells[static_cast<std::size_t>((c1 + 2) * 4 + (c2 + 2))];
    }
    CHECK(inside);
    CHECK(even);
    for (long c1 = -2; c1 < 2; ++c1)
        for (long c2 = -2; c2 < 2; ++c2)
            if ((c1 + c2) % 2 == 0) {
                CAPTURE(c1);
                CAPTURE(c2);
                // 1/8 each, standard error 0.23 percentage points.
                CHECK(std::abs(static_cast<double>(cells[static_cast<std::size_t>((c1 + 2) * 4 + (c2 + 2))]) / big -
                               0.125) < 0.01);
            }
    // Mean 0; each coordinate has sd 4/sqrt(3), standard error 0.016.
    CHECK(std::abs(x.col(0).mean()) < 0.06);
    CHECK(std::abs(x.col(1).mean()) < 0.06);
}

TEST_CASE("toy moons: moments against the exact ones of the two half circles")
{
    const Mat x = toy("moons", big, 11);
    // The noise-free moments: a is uniform on [0, pi), its integrals taken on a fine grid.
    const Index half = big / 2;
    double m1 = 0, m2 = 0, q11 = 0, q22 = 0, q12 = 0;
    for (Index k = 0; k < half; ++k) {
        const double a = pi * static_cast<double>(k) / static_cast<double>(half - 1);
        const double ox = 2 * std::cos(a) - 1, oy = 2 * std::sin(a) - 0.2;
        const double ix = 2 * (1 - std::cos(a)) - 1, iy = 2 * (0.5 - std::sin(a)) - 0.2;
        m1 += ox + ix;
        m2 += oy + iy;
        q11 += ox * ox + ix * ix;
        q22 += oy * oy + iy * iy;
        q12 += ox * oy + ix * iy;
    }
    m1 /= big;
    m2 /= big;
    CHECK(std::abs(m1) < 1e-12); // the halves' sines cancel: mean exactly (0, 0.3)
    CHECK(std::abs(m2 - 0.3) < 1e-12);
    // Noise sd 0.2 after the scaling adds 0.04 to each second moment.
    const double e11 = q11 / big + 0.04, e22 = q22 / big + 0.04, e12 = q12 / big;
    // Standard errors: means 0.008 (x1), 0.005 (x2); second moments 0.012, 0.005, 0.006.
    CHECK(std::abs(x.col(0).mean() - m1) < 0.02);
    CHECK(std::abs(x.col(1).mean() - m2) < 0.02);
    CHECK(std::abs(x.col(0).squaredNorm() / big - e11) < 0.05);
    CHECK(std::abs(x.col(1).squaredNorm() / big - e22) < 0.02);
    CHECK(std::abs(x.col(0).dot(x.col(1)) / big - e12) < 0.025);
}

TEST_CASE("toy swissroll: radius t/5 with t uniform from 1.5 pi to 4.5 pi, phase t")
{
    const Mat x = toy("swissroll", big, 12);
    const Vec r = radii(x);
    const double a = 1.5 * pi, b = 4.5 * pi;
    // E|5p| = E t + E[1/(2t)] (unit noise, first order) = 3 pi + ln 3 / (6 pi).
    const double mean_r = (3 * pi + std::log(3.0) / (6 * pi)) / 5;
    // E|5p|^2 = E t^2 + 2 = (a^2 + ab + b^2)/3 + 2.
    const double mean_r2 = ((a * a + a * b + b * b) / 3 + 2) / 25;
    // Standard errors 0.008 and 0.015.
    CHECK(std::abs(r.mean() - mean_r) < 0.03);
    CHECK(std::abs(r.squaredNorm() / big - mean_r2) < 0.06);
    // The angle of the point is t (mod 2 pi) and 5|p| is t plus the radial noise, so
    // E cos(angle - 5|p|) = exp(-1/2) E exp(-1/(2 t^2)) = 0.602; a wrong phase gives ~0.
    double c = 0;
    for (Index i = 0; i < big; ++i)
        c += std::cos(std::atan2(x(i, 1), x(i, 0)) - 5 * r(i));
    c /= big;
    CHECK(c > 0.56);
    CHECK(c < 0.64);
}

TEST_CASE("toy 2spirals: point symmetric, second moment and arms from the definition")
{
    const Mat x = toy("2spirals", big, 13);
    // The arms are each other's negation: mean 0 (standard error 0.011 per coordinate) and
    // half of the points on each side of either axis.
    CHECK(std::abs(x.col(0).mean()) < 0.045);
    CHECK(std::abs(x.col(1).mean()) < 0.045);
    CHECK(std::abs(static_cast<double>((x.col(0).array() > 0).count()) / big - 0.5) < 0.015);
    CHECK(std::abs(static_cast<double>((x.col(1).array() > 0).count()) / big - 0.5) < 0.015);
    // s = 3 pi sqrt(u) has density 2s/(3 pi)^2: E s^2 = 9 pi^2 / 2, E[-s cos s] = 4/(3 pi),
    // E[s sin s] = 2 - 8/(9 pi^2); with the offsets (u1, u2)/2 and the noise:
    // E|p|^2 = (E s^2 + E[-s cos s]/2 + E[s sin s]/2 + 1/6)/9 + 2 * 0.01.
    const double e2 = (9 * pi * pi / 2 + 2 / (3 * pi) + 1 - 4 / (9 * pi * pi) + 1.0 / 6) / 9 + 0.02;
    CHECK(std::abs(x.rowwise().squaredNorm().mean() - e2) < 0.08); // standard error 0.02
    // On arm 1 the point is near (s/3)(cos(pi - s), sin(pi - s)): angle + 3|p| = pi (mod
    // 2 pi); on arm 2 it is 0. The sign of cos(angle + 3|p|) tells the arms apart.
    Index second = 0;
    double sharp = 0;
    for (Index i = 0; i < big; ++i) {
        const double c = std::cos(std::atan2(x(i, 1), x(i, 0)) + 3 * x.row(i).norm());
        second += c > 0;
        sharp += std::abs(c);
    }
    CHECK(std::abs(static_cast<double>(second) / big - 0.5) < 0.02);
    CHECK(sharp / big > 0.85); // a uniform phase would give 2/pi = 0.64
}

TEST_CASE("toy pinwheel: five-fold symmetric, radius and the arms' twist from the definition")
{
    const Mat x = toy("pinwheel", big, 14);
    // Equal arms at angles 2 pi k/5: mean 0 (standard error 0.011) and 1/5 of the points in
    // each sector of angle 2 pi/5.
    CHECK(std::abs(x.col(0).mean()) < 0.045);
    CHECK(std::abs(x.col(1).mean()) < 0.045);
    std::array<Index, 5> sector{};
    double c5 = 0, s5 = 0;
    for (Index i = 0; i < big; ++i) {
        double angle = std::atan2(x(i, 1), x(i, 0));
        if (angle < 0)
            angle += 2 * pi;
        ++sector[std::min<std::size_t>(static_cast<std::size_t>(angle / (2 * pi / 5)), 4)];
        c5 += std::cos(5 * angle);
        s5 += std::sin(5 * angle);
    }
    for (int k = 0; k < 5; ++k) {
        CAPTURE(k);
        CHECK(std::abs(static_cast<double>(sector[static_cast<std::size_t>(k)]) / big - 0.2) < 0.015);
    }
    // |p|^2 = 4 |f|^2, E|f|^2 = 1 + 0.3^2 + 0.1^2 (standard error 0.017).
    CHECK(std::abs(x.rowwise().squaredNorm().mean() - 4.4) < 0.07);
    // The angle is 2 pi k/5 + phi with phi = 0.25 exp(f1) + atan2(f2, f1), so
    // E exp(5 i angle) = E exp(5 i phi): a Gaussian integral over (g1, g2) on a grid.
    double ec = 0, es = 0, w = 0;
    const double h = 0.02;
    for (double g1 = -8; g1 <= 8; g1 += h)
        for (double g2 = -8; g2 <= 8; g2 += h) {
            const double weight = std::exp(-(g1 * g1 + g2 * g2) / 2);
            const double f1 = 1 + 0.3 * g1, f2 = 0.1 * g2;
            const double phi = 0.25 * std::exp(f1) + std::atan2(f2, f1);
            ec += weight * std::cos(5 * phi);
            es += weight * std::sin(5 * phi);
            w += weight;
        }
    // Standard errors at most 1/sqrt(2n) = 0.005.
    CHECK(std::abs(c5 / big - ec / w) < 0.025);
    CHECK(std::abs(s5 / big - es / w) < 0.025);
}
