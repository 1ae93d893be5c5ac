// lib/nn schedules: each rate against values worked out by hand from its definition.
#include "core/error.hpp"
#include "nn/schedule.hpp"

#include <doctest/doctest.h>

#include <cmath>

using namespace flowkit;
using nn::Schedule;
using nn::ScheduleKind;

namespace {

Schedule make(ScheduleKind kind, long epochs)
{
    Schedule s;
    s.kind = kind;
    s.lr = 0.1;
    s.epochs = epochs;
    return s;
}

} // namespace

TEST_CASE("nn schedule: constant and step")
{
    const Schedule c = make(ScheduleKind::constant, 10);
    CHECK(c.rate(1) == 0.1);
    CHECK(c.rate(10) == 0.1);

    Schedule s = make(ScheduleKind::step, 9); // default: a decay every third of 9 = 3 epochs
    CHECK(s.rate(1) == 0.1);
    CHECK(s.rate(3) == 0.1);
    CHECK(s.rate(4) == doctest::Approx(0.01).epsilon(1e-15));
    CHECK(s.rate(7) == doctest::Approx(0.001).epsilon(1e-15));
    CHECK(s.rate(100) == s.rate(9)); // past the span: the last rate
    s.step_every = 2;
    s.step_factor = 0.5;
    CHECK(s.rate(2) == 0.1);
    CHECK(s.rate(3) == doctest::Approx(0.05).epsilon(1e-15));
    CHECK(s.rate(9) == doctest::Approx(0.1 / 16).epsilon(1e-15));
}

TEST_CASE("nn schedule: cosine goes from lr to lr-min along half a cosine")
{
    Schedule s = make(ScheduleKind::cosine, 100);
    s.lr_min = 0.02;
    CHECK(s.rate(1) == doctest::Approx(0.1).epsilon(1e-15));
    CHECK(s.rate(51) == doctest::Approx(0.06).epsilon(1e-14)); // (e - 1) / span = 1/2
    CHECK(s.rate(26) == doctest::Approx(0.02 + 0.04 * (1 + std::cos(M_PI / 4))).epsilon(1e-14));
    for (long e = 2; e <= 100; ++e)
        CHECK(s.rate(e) < s.rate(e - 1));
    CHECK(s.rate(100) > 0.02);
}

TEST_CASE("nn schedule: one-cycle warms up over 30 % to lr, then anneals to lr/25/1e4")
{
    const Schedule s = make(ScheduleKind::one_cycle, 101); // peak at (e - 1) = 0.3 * 101 - 1 = 29.3
    CHECK(s.rate(1) == doctest::Approx(0.1 / 25).epsilon(1e-14));
    CHECK(s.rate(101) == doctest::Approx(0.1 / 25 / 1e4).epsilon(1e-12));
    long peak = 1;
    for (long e = 1; e <= 101; ++e)
        if (s.rate(e) > s.rate(peak))
            peak = e;
    CHECK((peak == 30 || peak == 31)); // (e - 1) = 29 or 30, beside the peak at 29.3
    CHECK(s.rate(peak) > 0.0999);
    // Halfway through the warm-up the rate is the mean of its two ends.
    CHECK(std::abs(s.rate(16) - 0.5 * (0.1 / 25 + 0.1)) < 0.003); // fraction 15 / 29.3
}

TEST_CASE("nn schedule: bad parameters and names")
{
    Schedule s = make(ScheduleKind::cosine, 10);
    s.lr_min = 0.1; // must be below lr
    CHECK_THROWS_AS(s.check(), UsageError);
    s = make(ScheduleKind::step, 10);
    s.step_factor = 0;
    CHECK_THROWS_AS(s.check(), UsageError);
    CHECK(nn::parse_schedule("one-cycle") == ScheduleKind::one_cycle);
    CHECK(nn::to_string(ScheduleKind::one_cycle) == "one-cycle");
    CHECK_THROWS_WITH_AS(nn::parse_schedule("linear"),
                         "--schedule must be constant, step, cosine or one-cycle (got 'linear')",
                         UsageError);
}
