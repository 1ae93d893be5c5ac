#include "models/toy_datasets.hpp"

#include "core/error.hpp"

#include <algorithm>
#include <cmath>

namespace flowkit::models {

namespace {

constexpr double pi = 3.14159265358979323846;

/// Fisher-Yates over the rows: for i = n-1 down to 1, swap row i with row floor((i + 1) u).
void shuffle_rows(Mat& x, Rng& rng)
{
    for (Index i = x.rows() - 1; i > 0; --i) {
        const auto j = std::min(static_cast<Index>(static_cast<double>(i + 1) * rng.uniform()), i);
        if (j != i)
            x.row(i).swap(x.row(j));
    }
}

/// Adds N(0, sd^2) to every entry: rows in order, x1 then x2.
void add_noise(Mat& x, double sd, Rng& rng)
{
    for (Index i = 0; i < x.rows(); ++i) {
        x(i, 0) += sd * rng.normal();
        x(i, 1) += sd * rng.normal();
    }
}

/// The k-th of `count` angles: linspace(0, stop) with both ends when `endpoint`, else
/// 2 pi k / count style (stop excluded).
double spaced(Index k, Index count, double stop, bool endpoint)
{
    if (endpoint)
        return count > 1 ? stop * static_cast<double>(k) / static_cast<double>(count - 1) : 0.0;
    return stop * static_cast<double>(k) / static_cast<double>(count);
}

Mat moons(Index n, Rng& rng)
{
    const Index n_out = n - n / 2, n_in = n / 2;
    Mat x(n, 2);
    for (Index k = 0; k < n_out; ++k) {
        const double a = spaced(k, n_out, pi, true);
        x(k, 0) = std::cos(a);
        x(k, 1) = std::sin(a);
    }
    for (Index k = 0; k < n_in; ++k) {
        const double a = spaced(k, n_in, pi, true);
        x(n_out + k, 0) = 1 - std::cos(a);
        x(n_out + k, 1) = 1 - std::sin(a) - 0.5;
    }
    add_noise(x, 0.1, rng);
    x *= 2;
    x.col(0).array() -= 1;
    x.col(1).array() -= 0.2;
    shuffle_rows(x, rng);
    return x;
}

Mat eight_gaussians(Index n, Rng& rng)
{
    const double h = 1 / std::sqrt(2.0);
    const double centres[8][2] = {{1, 0}, {-1, 0}, {0, 1}, {0, -1}, {h, h}, {h, -h}, {-h, h}, {-h, -h}};
    Mat x(n, 2);
    for (Index i = 0; i < n; ++i) {
        const int k = std::min(static_cast<int>(8 * rng.uniform()), 7);
        const double g1 = rng.normal(), g2 = rng.normal();
        x(i, 0) = (4 * centres[k][0] + 0.5 * g1) / 1.414;
        x(i, 1) = (4 * centres[k][1] + 0.5 * g2) / 1.414;
    }
    return x;
}

Mat circles(Index n, Rng& rng)
{
    const Index n_out = n - n / 2, n_in = n / 2;
    Mat x(n, 2);
    for (Index k = 0; k < n_out; ++k) {
        const double a = spaced(k, n_out, 2 * pi, false);
        x(k, 0) = std::cos(a);
        x(k, 1) = std::sin(a);
    }
    for (Index k = 0; k < n_in; ++k) {
        const double a = spaced(k, n_in, 2 * pi, false);
        x(n_out + k, 0) = 0.5 * std::cos(a);
        x(n_out + k, 1) = 0.5 * std::sin(a);
    }
    add_noise(x, 0.08, rng);
    x *= 3;
    shuffle_rows(x, rng);
    return x;
}

Mat checkerboard(Index n, Rng& rng)
{
    Mat x(n, 2);
    for (Index i = 0; i < n; ++i) {
        const double u = rng.uniform(), v = rng.uniform(), w = rng.uniform();
        const double x1 = 4 * u - 2;
        const double b = std::floor(2 * w);
        const long f = static_cast<long>(std::floor(x1));
        const double parity = static_cast<double>(((f % 2) + 2) % 2);
        x(i, 0) = 2 * x1;
        x(i, 1) = 2 * (v - 2 * b + parity);
    }
    return x;
}

Mat two_spirals(Index n, Rng& rng)
{
    const Index first = n - n / 2;
    Mat x(n, 2);
    for (Index i = 0; i < n; ++i) {
        const double u = rng.uniform(), u1 = rng.uniform(), u2 = rng.uniform();
        const double s = std::sqrt(u) * 540 * (2 * pi) / 360;
        const double sign = i < first ? 1.0 : -1.0;
        x(i, 0) = sign * (-std::cos(s) * s + 0.5 * u1) / 3 + 0.1 * rng.normal();
        x(i, 1) = sign * (std::sin(s) * s + 0.5 * u2) / 3 + 0.1 * rng.normal();
    }
    shuffle_rows(x, rng);
    return x;
}

Mat pinwheel(Index n, Rng& rng)
{
    constexpr Index arms = 5;
    constexpr double radial_sd = 0.3, tangential_sd = 0.1, rate = 0.25;
    Mat x(n, 2);
    Index row = 0;
    for (Index k = 0; k < arms; ++k) {
        const Index count = n / arms + (k < n % arms ? 1 : 0);
        for (Index c = 0; c < count; ++c, ++row) {
            const double f1 = 1 + radial_sd * rng.normal();
            const double f2 = tangential_sd * rng.normal();
            const double angle = 2 * pi * static_cast<double>(k) / arms + rate * std::exp(f1);
            x(row, 0) = 2 * (std::cos(angle) * f1 - std::sin(angle) * f2);
            x(row, 1) = 2 * (std::sin(angle) * f1 + std::cos(angle) * f2);
        }
    }
    shuffle_rows(x, rng);
    return x;
}

Mat swissroll(Index n, Rng& rng)
{
    Mat x(n, 2);
    for (Index i = 0; i < n; ++i) {
        const double t = 1.5 * pi * (1 + 2 * rng.uniform());
        const double g1 = rng.normal(), g2 = rng.normal();
        x(i, 0) = (t * std::cos(t) + g1) / 5;
        x(i, 1) = (t * std::sin(t) + g2) / 5;
    }
    return x;
}

Mat rings(Index n, Rng& rng)
{
    const double radii[4] = {3, 2.25, 1.5, 0.75};
    Mat x(n, 2);
    Index row = 0;
    for (int r = 0; r < 4; ++r) {
        const Index count = n / 4 + (r == 0 ? n % 4 : 0);
        for (Index k = 0; k < count; ++k, ++row) {
            const double a = spaced(k, count, 2 * pi, false);
            x(row, 0) = radii[r] * std::cos(a);
            x(row, 1) = radii[r] * std::sin(a);
        }
    }
    shuffle_rows(x, rng);
    add_noise(x, 0.08, rng);
    return x;
}

struct ToySet
{
    const char* name;
    Mat (*make)(Index, Rng&);
};

// In the order of toy_dataset_names().
constexpr ToySet toy_sets[] = {{"moons", moons},     {"8gaussians", eight_gaussians},
                               {"circles", circles}, {"checkerboard", checkerboard},
                               {"2spirals", two_spirals}, {"pinwheel", pinwheel},
                               {"swissroll", swissroll},  {"rings", rings}};

} // namespace

const std::vector<std::string>& toy_dataset_names()
{
    static const std::vector<std::string> names = [] {
        std::vector<std::string> v;
        for (const auto& set : toy_sets)
            v.emplace_back(set.name);
        return v;
    }();
    return names;
}

Mat toy_dataset(const std::string& name, Index n, Rng& rng)
{
    for (const auto& set : toy_sets)
        if (name == set.name) {
            require_option(n >= 0, "the number of toy points", "at least 0", static_cast<double>(n));
            return set.make(n, rng);
        }
    std::string list;
    for (const auto& known : toy_dataset_names())
        list += (list.empty() ? "" : ", ") + known;
    throw UsageError("unknown toy data set '" + name + "' (one of " + list + ")");
}

} // namespace flowkit::models
