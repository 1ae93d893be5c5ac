// lib/models collocation points: Sobol against scipy's unscrambled sequence, Halton against
// radical inverses worked out by hand, the shift, reproducibility and evenness.
#include "core/error.hpp"
#include "models/collocation.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <stdexcept>
#include <utility>
#include <vector>

using namespace flowkit;
using models::Sampler;

namespace {

/// The points before the random shift: the sampler draws its dim shifts first, so a twin
/// generator with the same seed predicts them; (x - u) mod 1 undoes the rotation.
Mat unshifted(Sampler sampler, Index n, Index dim, std::uint64_t seed)
{
    Rng rng(seed), twin(seed);
    Mat out;
    models::sample_unit_cube(sampler, n, dim, rng, out);
    for (Index j = 0; j < dim; ++j) {
        const double u = twin.uniform();
        for (Index i = 0; i < n; ++i) {
            double x = out(i, j) - u;
            out(i, j) = x < 0 ? x + 1 : x;
        }
    }
    return out;
}

/// Squared centred L2 discrepancy (Hickernell 1998) of the rows of x:
///   CD^2 = (13/12)^d - 2/n sum_i prod_k (1 + |z_ik|/2 - z_ik^2/2)
///          + 1/n^2 sum_ij prod_k (1 + |z_ik|/2 + |z_jk|/2 - |x_ik - x_jk|/2),  z = x - 1/2.
double centred_discrepancy2(const Mat& x)
{
    const Index n = x.rows(), d = x.cols();
    double single = 0, pairs = 0;
    for (Index i = 0; i < n; ++i) {
        double p = 1;
        for (Index k = 0; k < d; ++k) {
            const double z = std::abs(x(i, k) - 0.5);
            p *= 1 + 0.5 * z - 0.5 * z * z;
        }
        single += p;
        for (Index j = 0; j < n; ++j) {
            double q = 1;
            for (Index k = 0; k < d; ++k)
                q *= 1 + 0.5 * std::abs(x(i, k) - 0.5) + 0.5 * std::abs(x(j, k) - 0.5)
                     - 0.5 * std::abs(x(i, k) - x(j, k));
            pairs += q;
        }
    }
    return std::pow(13.0 / 12.0, double(d)) - 2.0 / double(n) * single
           + pairs / (double(n) * double(n));
}

/// Mean over seeds 1 .. 5 of the centred discrepancy (not squared) of n points in dim d.
double mean_discrepancy(Sampler sampler, Index n, Index dim)
{
    double sum = 0;
    for (std::uint64_t seed = 1; seed <= 5; ++seed) {
        Rng rng(seed);
        Mat x;
        models::sample_unit_cube(sampler, n, dim, rng, x);
        sum += std::sqrt(centred_discrepancy2(x));
    }
    return sum / 5;
}

/// Root mean square over seeds 1 .. 5 of the error of the mean of f(x, y) = x y e^(x + y),
/// whose integral over the unit square is (int_0^1 t e^t dt)^2 = 1.
double rms_integral_error(Sampler sampler, Index n)
{
    double sum = 0;
    for (std::uint64_t seed = 1; seed <= 5; ++seed) {
        Rng rng(seed);
        Mat x;
        models::sample_unit_cube(sampler, n, 2, rng, x);
        const double mean =
            (x.col(0).array() * x.col(1).array() * (x.col(0) + x.col(1)).array().exp()).mean();
        sum += (mean - 1) * (mean - 1);
    }
    return std::sqrt(sum / 5);
}

} // namespace

TEST_CASE("models collocation: unshifted Sobol points are scipy's (Joe & Kuo, 16 dimensions)")
{
    // scipy 1.10.1: qmc.Sobol(d=16, scramble=False), rows 1, 2, 3, 7, 31 times 32 and (after
    // fast_forward) rows 1000, 65535, 100000 times 2^17; all exact. The large indices reach
    // direction numbers 7 .. 17, which come from the recurrence, not from the table.
    const std::vector<std::pair<Index, std::vector<double>>> expected = {
        {1, {16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16}},
        {2, {24, 8, 8, 8, 24, 24, 8, 24, 24, 24, 24, 24, 8, 8, 24, 8}},
        {3, {8, 24, 24, 24, 8, 8, 24, 8, 8, 8, 8, 8, 24, 24, 8, 24}},
        {7, {4, 20, 12, 4, 4, 12, 20, 20, 20, 28, 20, 4, 20, 12, 4, 4}},
        {31, {1, 17, 29, 31, 31, 25, 11, 17, 5, 19, 1, 11, 31, 7, 21, 27}},
        {1000, {28800, 12672, 67968, 88704, 36736, 118912, 6016, 117888, 65664, 9088, 11136,
                33408, 21120, 50304, 18816, 48512}},
        {65535, {2, 131070, 73898, 99850, 33142, 71542, 67790, 95378, 117322, 21482, 22558, 9422,
                 122478, 43026, 60350, 62818}},
        {100000, {8005, 14101, 123677, 81371, 79371, 126573, 7997, 4685, 2673, 100921, 36431,
                  59227, 74081, 25803, 12609, 7771}},
    };
    const Mat x = unshifted(Sampler::sobol, 100000, 16, 12345);
    for (const auto& [i, row] : expected) {
        const double scale = i < 32 ? 32.0 : 131072.0;
        for (Index d = 0; d < 16; ++d) {
            INFO("point " << i << ", dimension " << d + 1);
            CHECK(std::abs(x(i - 1, d) - row[std::size_t(d)] / scale) < 1e-15);
        }
    }
    // Fewer dimensions give the same leading columns.
    const Mat y = unshifted(Sampler::sobol, 40, 3, 7);
    CHECK((y - x.topLeftCorner(40, 3)).cwiseAbs().maxCoeff() < 1e-15);
}

TEST_CASE("models collocation: unshifted Halton points are radical inverses in the primes")
{
    const Mat x = unshifted(Sampler::halton, 1000, 16, 99);
    const double expected[5][4] = {{1. / 2, 1. / 3, 1. / 5, 1. / 7},
                                   {1. / 4, 2. / 3, 2. / 5, 2. / 7},
                                   {3. / 4, 1. / 9, 3. / 5, 3. / 7},
                                   {1. / 8, 4. / 9, 4. / 5, 4. / 7},
                                   {5. / 8, 7. / 9, 1. / 25, 5. / 7}};
    for (Index i = 0; i < 5; ++i)
        for (Index d = 0; d < 4; ++d) {
            INFO("point " << i + 1 << ", dimension " << d + 1);
            CHECK(std::abs(x(i, d) - expected[i][d]) < 1e-15);
        }
    // Point 1000: 1111101000 in base 2 mirrors to 0.0001011111 = 95/1024; 1000 = 18 * 53 + 46
    // mirrors to 46/53 + 18/53^2 in base 53, the 16th prime.
    CHECK(std::abs(x(999, 0) - 95.0 / 1024) < 1e-15);
    CHECK(std::abs(x(999, 15) - (46.0 / 53 + 18.0 / (53 * 53))) < 1e-15);
    // The dimensions between, from scipy 1.10.1 qmc.Halton(d=16, scramble=False), row 1000.
    const double scipy[16] = {0.0927734375,        0.3475080018289895,  0.00512,
                              0.9162848812994586,  0.9316303531179565,  0.9904415111515704,
                              0.8483614899246896,  0.6706516984983233,  0.5161502424591108,
                              0.4887449259912255,  0.2591386660400792,  0.04674945215485756,
                              0.4045211183819155,  0.2682531097890752,  0.28610230873698506,
                              0.8743325026699892};
    for (Index d = 0; d < 16; ++d) {
        INFO("dimension " << d + 1);
        CHECK(std::abs(x(999, d) - scipy[d]) < 1e-15);
    }
}

TEST_CASE("models collocation: points lie in the unit cube - a seed fixes them, another moves them")
{
    for (Sampler s : {Sampler::uniform, Sampler::sobol, Sampler::halton}) {
        INFO(models::to_string(s));
        Rng a(3), b(3), c(4);
        Mat x, y, z;
        models::sample_unit_cube(s, 500, 5, a, x);
        models::sample_unit_cube(s, 500, 5, b, y);
        models::sample_unit_cube(s, 500, 5, c, z);
        CHECK(x.rows() == 500);
        CHECK(x.cols() == 5);
        CHECK(x.minCoeff() >= 0.0);
        CHECK(x.maxCoeff() < 1.0);
        CHECK(x == y);
        CHECK(a.next_u64() == b.next_u64()); // and the generators are left in step
        CHECK((x - z).cwiseAbs().minCoeff() > 0.0);
        // A shorter run with the same seed gives the leading points.
        Rng d(3);
        Mat w;
        models::sample_unit_cube(s, 100, 5, d, w);
        CHECK(w == x.topRows(100));
    }
    // Uniform draws row by row: the first row is the first dim draws of the stream.
    Rng r(11), twin(11);
    Mat x;
    models::sample_unit_cube(Sampler::uniform, 3, 4, r, x);
    for (Index j = 0; j < 4; ++j)
        CHECK(x(0, j) == twin.uniform());
    CHECK(x(1, 0) == twin.uniform());
    // n = 0 is an empty set of the right width.
    Rng q(5);
    models::sample_unit_cube(Sampler::sobol, 0, 3, q, x);
    CHECK(x.rows() == 0);
    CHECK(x.cols() == 3);
}

TEST_CASE("models collocation: shifted Sobol and Halton are more even than uniform random")
{
    // Centred L2 discrepancy, n = 1024, mean over seeds 1..5 (measured):
    //   dim 2: uniform 1.86e-2, sobol 1.42e-3, halton 1.66e-3
    //   dim 4: uniform 3.35e-2, sobol 4.99e-3, halton 5.29e-3
    for (Index dim : {2, 4}) {
        INFO("dim " << dim);
        const double random = mean_discrepancy(Sampler::uniform, 1024, dim);
        const double sobol = mean_discrepancy(Sampler::sobol, 1024, dim);
        const double halton = mean_discrepancy(Sampler::halton, 1024, dim);
        CHECK(sobol < 0.3 * random);
        CHECK(halton < 0.3 * random);
    }
    // RMS error of the mean of x y e^(x + y) (integral 1), n = 4096, seeds 1..5 (measured):
    //   uniform 1.88e-2, sobol 8.3e-4, halton 1.38e-3. The shift makes the integrand jump
    //   where it wraps, so the gain is O(log n / n) against O(1 / sqrt n), not more.
    const double random = rms_integral_error(Sampler::uniform, 4096);
    const double sobol = rms_integral_error(Sampler::sobol, 4096);
    const double halton = rms_integral_error(Sampler::halton, 4096);
    CHECK(sobol < 0.15 * random);
    CHECK(halton < 0.15 * random);
}

TEST_CASE("models collocation: sampler names round-trip - bad names and dimensions throw")
{
    for (Sampler s : {Sampler::uniform, Sampler::sobol, Sampler::halton})
        CHECK(models::parse_sampler(models::to_string(s)) == s);
    CHECK(models::to_string(Sampler::sobol) == "sobol");
    CHECK_THROWS_WITH_AS(models::parse_sampler("latin"),
                         "--sampler must be uniform, sobol or halton (got 'latin')", UsageError);
    CHECK_THROWS_AS(models::parse_sampler("Sobol"), UsageError);
    CHECK_THROWS_AS(models::parse_sampler(""), UsageError);

    Rng rng(1);
    Mat x;
    for (Sampler s : {Sampler::uniform, Sampler::sobol, Sampler::halton}) {
        INFO(models::to_string(s));
        CHECK_THROWS_AS(models::sample_unit_cube(s, 10, 0, rng, x), std::invalid_argument);
        CHECK_THROWS_AS(models::sample_unit_cube(s, -1, 2, rng, x), std::invalid_argument);
        CHECK_NOTHROW(models::sample_unit_cube(s, 10, 16, rng, x));
    }
    CHECK_THROWS_AS(models::sample_unit_cube(Sampler::sobol, 10, 17, rng, x),
                    std::invalid_argument);
    CHECK_THROWS_AS(models::sample_unit_cube(Sampler::halton, 10, 17, rng, x),
                    std::invalid_argument);
    CHECK_NOTHROW(models::sample_unit_cube(Sampler::uniform, 10, 17, rng, x)); // no limit
}
