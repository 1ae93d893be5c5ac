#include "ad/activation_values.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

using namespace flowkit;

namespace {

// Largest |t_i - tanh(x_i)| / |tanh(x_i)| against the long double tanh.
double max_relative_error(const Mat& x, const Mat& t)
{
    double err = 0;
    for (Index i = 0; i < x.size(); ++i) {
        const long double want = std::tanh(static_cast<long double>(x(i)));
        err = std::max(err, static_cast<double>(std::fabs((t(i) - want) / want)));
    }
    return err;
}

} // namespace

TEST_CASE("ad: tanh_values within 5 ulps of tanh, relative, over the whole range")
{
    // A fine grid over the range where tanh is not yet +-1, 13 x 76923 (no multiple of a vector).
    const Index n = 999999;
    Mat x = Vec::LinSpaced(n, -22.0, 22.0);
    x.resize(13, n / 13);
    Mat t;
    ad::tanh_values(x, t);
    CHECK(t.rows() == 13);
    CHECK(t.cols() == n / 13);
    CHECK(max_relative_error(x, t) < 1e-15); // measured 3.8e-16

    // Tiny arguments keep their relative accuracy (1 - e^{-2x} would cancel: 1e-4 at 1e-12).
    Mat tiny(1, 2 * 300);
    for (Index k = 0; k < 300; ++k) {
        tiny(2 * k) = std::pow(10.0, -double(k) - 1) * 1.37;
        tiny(2 * k + 1) = -tiny(2 * k);
    }
    ad::tanh_values(tiny, t);
    CHECK(max_relative_error(tiny, t) < 1e-15);
}

TEST_CASE("ad: tanh_values of infinities, signed zeros, NaN and huge arguments")
{
    const double inf = std::numeric_limits<double>::infinity();
    Mat x(1, 9);
    x << inf, -inf, 0.0, -0.0, std::nan(""), 1e300, -1e300, 40.0, -19.5;
    Mat t;
    ad::tanh_values(x, t);
    CHECK(t(0) == 1.0);
    CHECK(t(1) == -1.0);
    CHECK(t(2) == 0.0);
    CHECK(!std::signbit(t(2)));
    CHECK(t(3) == 0.0);
    CHECK(std::signbit(t(3)));
    CHECK(std::isnan(t(4)));
    CHECK(t(5) == 1.0);
    CHECK(t(6) == -1.0);
    CHECK(t(7) == 1.0);
    CHECK(t(8) == std::tanh(-19.5));
}

TEST_CASE("ad: tanh_values in float within 4 float ulps of tanh, relative")
{
    // 1000003 points on [-12, 12] (past 9, tanh is 1 in float), and tiny ones down to 1e-37.
    std::vector<float> x;
    for (Index i = 0; i < 1000003; ++i)
        x.push_back(-12.0f + 24.0f * float(i) / 1000002.0f);
    for (int k = 1; k <= 37; ++k) {
        x.push_back(1.37f * std::pow(10.0f, -float(k)));
        x.push_back(-x.back());
    }
    std::vector<float> t(x.size());
    ad::tanh_values(Index(x.size()), x.data(), t.data());
    double err = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
        const long double want = std::tanh(static_cast<long double>(x[i]));
        if (want != 0)
            err = std::max(err, static_cast<double>(std::fabs((t[i] - want) / want)));
        else
            CHECK(t[i] == 0.0f);
    }
    CHECK(err < 4 * 5.97e-8); // 4 ulps of 1; measured 1.9e-7

    const float inf = std::numeric_limits<float>::infinity();
    std::vector<float> in{inf, -inf, 0.0f, -0.0f, std::nanf(""), 1e30f, -20.0f};
    std::vector<float> e(in.size());
    ad::tanh_values(Index(in.size()), in.data(), e.data());
    CHECK(e[0] == 1.0f);
    CHECK(e[1] == -1.0f);
    CHECK(e[2] == 0.0f);
    CHECK(std::signbit(e[3]));
    CHECK(std::isnan(e[4]));
    CHECK(e[5] == 1.0f);
    CHECK(e[6] == -1.0f);
}

TEST_CASE("ad: tanh_in_place and tanh_values give one entry's bits, whole vectors or not")
{
    // The special values first (the vectorised part takes whole multiples of 32 floats or 16
    // doubles, the rest goes one entry at a time), then 1001 points on [-25, 25] (past both
    // precisions' caps); each entry alone (n = 1) against its value inside the array.
    std::vector<double> xd{0.0, -0.0, 1e-300, -1e-310, std::numeric_limits<double>::infinity(),
                           -std::numeric_limits<double>::infinity(), std::nan(""), 1e300,
                           20.0, -20.0000001, 10.0, 9.9999999};
    for (Index i = 0; i <= 1000; ++i)
        xd.push_back(-25.0 + 0.05 * double(i));
    std::vector<float> xf(xd.begin(), xd.end());

    std::vector<double> td(xd.size()), ind = xd;
    ad::tanh_values(Index(xd.size()), xd.data(), td.data());
    ad::tanh_in_place(Index(ind.size()), ind.data());
    std::vector<float> tf(xf.size()), inf = xf;
    ad::tanh_values(Index(xf.size()), xf.data(), tf.data());
    ad::tanh_in_place(Index(inf.size()), inf.data());
    int differ = 0;
    for (std::size_t i = 0; i < xd.size(); ++i) {
        double one_d;
        float one_f;
        ad::tanh_values(1, &xd[i], &one_d);
        ad::tanh_values(1, &xf[i], &one_f);
        differ += std::memcmp(&ind[i], &td[i], sizeof(double)) != 0;
        differ += std::memcmp(&one_d, &td[i], sizeof(double)) != 0;
        differ += std::memcmp(&inf[i], &tf[i], sizeof(float)) != 0;
        differ += std::memcmp(&one_f, &tf[i], sizeof(float)) != 0;
    }
    CHECK(differ == 0);
    CHECK(std::isnan(td[6]));
    CHECK(td[4] == 1.0);
    CHECK(td[5] == -1.0);
    CHECK(std::signbit(td[1]));
    CHECK(td[12 + 250] == doctest::Approx(std::tanh(-12.5)).epsilon(1e-15));
    CHECK(tf[12 + 510] == doctest::Approx(std::tanh(0.5)).epsilon(1e-6));
}
