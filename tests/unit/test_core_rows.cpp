// The batch helpers of core/eigen.hpp and core/rows.hpp against Eigen's own row operations.
#include "core/eigen.hpp"
#include "core/rows.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <limits>

using namespace flowkit;

TEST_CASE("all_finite and row_finiteness find every Inf and NaN, and nothing else")
{
    // 37 x 3: the vectorised sums run over full vectors and a partial one; a non-finite entry
    // in every row and column position, and finite extremes (the largest double, -0, the
    // smallest subnormal) that must not count.
    const double inf = std::numeric_limits<double>::infinity();
    const double bad[] = {inf, -inf, std::numeric_limits<double>::quiet_NaN()};
    Mat M(37, 3);
    for (Index i = 0; i < M.size(); ++i)
        M(i) = std::sin(double(i)) * 1e3;
    M(3, 0) = std::numeric_limits<double>::max();
    M(4, 1) = -0.0;
    M(36, 2) = std::numeric_limits<double>::denorm_min();
    CHECK(all_finite(M));
    CHECK((row_finiteness(M) == 0).all());
    for (Index r = 0; r < M.rows(); ++r)
        for (Index c = 0; c < M.cols(); ++c)
            for (const double b : bad) {
                Mat N = M;
                N(r, c) = b;
                CHECK_FALSE(all_finite(N));
                const Eigen::ArrayXd rows = row_finiteness(N);
                for (Index k = 0; k < N.rows(); ++k)
                    CHECK((rows(k) == 0) == (k != r));
            }
}

TEST_CASE("gather_rows and scatter_rows copy the rows Eigen's row assignments copy")
{
    Mat from(11, 3);
    for (Index i = 0; i < from.size(); ++i)
        from(i) = double(i) + 0.5;
    const std::vector<Index> rows = {7, 0, 10, 3};
    Mat gathered;
    gather_rows(from, rows, gathered);
    REQUIRE(gathered.rows() == 4);
    REQUIRE(gathered.cols() == 3);
    for (Index k = 0; k < 4; ++k)
        CHECK(gathered.row(k) == from.row(rows[std::size_t(k)]));
    Vec v = from.col(1), vg;
    gather_rows(v, rows, vg);
    CHECK(vg == gathered.col(1));

    Mat to = Mat::Constant(11, 3, -1.0);
    scatter_rows(gathered, rows, to);
    for (Index r = 0; r < 11; ++r) {
        const bool listed = r == 7 || r == 0 || r == 10 || r == 3;
        if (listed)
            CHECK(to.row(r) == from.row(r));
        else
            CHECK((to.row(r).array() == -1.0).all());
    }
}

TEST_CASE("nonzero_rows lists the rows with an entry that is not zero, NaN and subnormals too")
{
    // 37 x 2 (full vectors and a partial one): zero rows among them, -0 counting as zero, and a
    // row whose only nonzero entry is the smallest subnormal, a NaN or an Inf.
    Mat M = Mat::Zero(37, 2);
    std::vector<Index> expected;
    for (Index r = 0; r < M.rows(); ++r) {
        if (r % 3 == 0)
            continue;
        M(r, r % 2) = r % 5 == 1 ? std::numeric_limits<double>::denorm_min() : -0.25 * double(r);
        expected.push_back(r);
    }
    M(3, 1) = -0.0;
    M(6, 0) = std::numeric_limits<double>::quiet_NaN();
    M(9, 1) = -std::numeric_limits<double>::infinity();
    expected.insert(expected.begin() + 4, {6}); // after 1, 2, 4, 5
    expected.insert(expected.begin() + 7, {9}); // after 6, 7, 8
    Vec scratch;
    std::vector<Index> rows = {42}; // replaced
    CHECK(nonzero_rows(M, scratch, rows) == Index(expected.size()));
    CHECK(rows == expected);
    CHECK(nonzero_rows(Mat::Zero(5, 3), scratch, rows) == 0);
    CHECK(rows.empty());
}
