// The seeded generator: reproducible streams, resumable state, sane distributions.
#include "core/rng.hpp"

#include <doctest/doctest.h>

#include <cmath>

using flowkit::Rng;

TEST_CASE("rng: same seed, same stream - state round-trips")
{
    Rng a(42), b(42), c(43);
    for (int i = 0; i < 100; ++i) {
        const auto x = a.next_u64();
        CHECK(x == b.next_u64());
        CHECK(x != c.next_u64());
    }
    a.normal(); // leaves a spare normal in the state
    const Rng::State st = a.state();
    const double next1 = a.normal(), next2 = a.uniform();
    Rng d(0);
    d.set_state(st);
    CHECK(d.normal() == next1);
    CHECK(d.uniform() == next2);
}

TEST_CASE("rng: uniform and normal moments")
{
    Rng r(7);
    const int n = 200000;
    double su = 0, sn = 0, sn2 = 0;
    double lo = 1, hi = 0;
    for (int i = 0; i < n; ++i) {
        const double u = r.uniform();
        lo = std::min(lo, u);
        hi = std::max(hi, u);
        su += u;
        const double z = r.normal();
        sn += z;
        sn2 += z * z;
    }
    CHECK(lo >= 0.0);
    CHECK(hi < 1.0);
    // Standard errors: 1/sqrt(12 n) ~ 6e-4 for the uniform mean, 1/sqrt(n) ~ 2e-3 for the normal.
    CHECK(std::abs(su / n - 0.5) < 3e-3);
    CHECK(std::abs(sn / n) < 1e-2);
    CHECK(std::abs(sn2 / n - 1) < 1.5e-2);
}
