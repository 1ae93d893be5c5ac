#include "models/toy_datasets.hpp"

#include "core/error.hpp"

#include <algorithm>
#include <cmath>

namespace flowkit::models {

namespace {

constexpr double pi = 3.14159265358979323846;

/// One of k components, uniformly: floor(k u).
int component(int k, Rng& rng)
{
    return std::min(static_cast<int>(k * rng.uniform()), k - 1);
}

/// An angle uniform on [0, stop). Independent angles, not scikit-learn's evenly spaced ones: two
/// draws of a set are then independent samples of one distribution, as a two-sample statistic
/// (the energy distance of a flow's samples against fresh data) needs.
double random_angle(double stop, Rng& rng)
{
    return stop * rng.uniform();
}

Mat moons(Index n, Rng& rng)
{
    Mat x(n, 2);
    for (Index i = 0; i < n; ++i) {
        const bool outer = rng.uniform() < 0.5;
        const double a = random_angle(pi, rng);
        const double g1 = rng.normal(), g2 = rng.normal();
        const double px = outer ? std::cos(a) : 1 - std::cos(a);
        const double py = outer ? std::sin(a) : 0.5 - std::sin(a);
        x(i, 0) = 2 * (px + 0.1 * g1) - 1;
        x(i, 1) = 2 * (py + 0.1 * g2) - 0.2;
    }
    return x;
}

Mat eight_gaussians(Index n, Rng& rng)
{
    const double h = 1 / std::sqrt(2.0);
    const double centres[8][2] = {{1, 0}, {-1, 0}, {0, 1}, {0, -1}, {h, h}, {h, -h}, {-h, h}, {-h, -h}};
    Mat x(n, 2);
    for (Index i = 0; i < n; ++i) {
        const int k = component(8, rng);
        const double g1 = rng.normal(), g2 = rng.normal();
        x(i, 0) = (4 * centres[k][0] + 0.5 * g1) / 1.414;
        x(i, 1) = (4 * centres[k][1] + 0.5 * g2) / 1.414;
    }
    return x;
}

Mat circles(Index n, Rng& rng)
{
    Mat x(n, 2);
    for (Index i = 0; i < n; ++i) {
        const double r = rng.uniform() < 0.5 ? 1.0 : 0.5;
        const double a = random_angle(2 * pi, rng);
        const double g1 = rng.normal(), g2 = rng.normal();
        x(i, 0) = 3 * (r * std::cos(a) + 0.08 * g1);
        x(i, 1) = 3 * (r * std::sin(a) + 0.08 * g2);
    }
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
    Mat x(n, 2);
    for (Index i = 0; i < n; ++i) {
        const double sign = rng.uniform() < 0.5 ? 1.0 : -1.0;
        const double u = rng.uniform(), u1 = rng.uniform(), u2 = rng.uniform();
        const double s = std::sqrt(u) * 540 * (2 * pi) / 360;
        x(i, 0) = sign * (-std::cos(s) * s + 0.5 * u1) / 3 + 0.1 * rng.normal();
        x(i, 1) = sign * (std::sin(s) * s + 0.5 * u2) / 3 + 0.1 * rng.normal();
    }
    return x;
}

Mat pinwheel(Index n, Rng& rng)
{
    constexpr int arms = 5;
    constexpr double radial_sd = 0.3, tangential_sd = 0.1, rate = 0.25;
    Mat x(n, 2);
    for (Index i = 0; i < n; ++i) {
        const int k = component(arms, rng);
        const double f1 = 1 + radial_sd * rng.normal();
        const double f2 = tangential_sd * rng.normal();
        const double angle = 2 * pi * k / arms + rate * std::exp(f1);
        x(i, 0) = 2 * (std::cos(angle) * f1 - std::sin(angle) * f2);
        x(i, 1) = 2 * (std::sin(angle) * f1 + std::cos(angle) * f2);
    }
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
    for (Index i = 0; i < n; ++i) {
        const double r = radii[component(4, rng)];
        const double a = random_angle(2 * pi, rng);
        const double g1 = rng.normal(), g2 = rng.normal();
        x(i, 0) = r * std::cos(a) + 0.08 * g1;
        x(i, 1) = r * std::sin(a) + 0.08 * g2;
    }
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
