#include "nn/schedule.hpp"

#include "core/error.hpp"

#include <algorithm>
#include <cmath>

namespace flowkit::nn {

namespace {

constexpr double pi = 3.14159265358979323846;

/// Cosine interpolation from `from` (fraction 0) to `to` (fraction 1).
double cosine_between(double from, double to, double fraction)
{
    return to + 0.5 * (from - to) * (1.0 + std::cos(pi * fraction));
}

} // namespace

void Schedule::check() const
{
    require_option(lr > 0 && std::isfinite(lr), "--lr", "> 0", lr); // !(x > 0) rejects NaN
    require_option(epochs >= 1, "the schedule's span", ">= 1 epoch", double(epochs));
    require_option(step_every >= 0, "--step-every", ">= 0", double(step_every));
    require_option(step_factor > 0 && step_factor <= 1, "--step-factor", "in (0, 1]", step_factor);
    require_option(lr_min >= 0 && lr_min < lr, "--lr-min", "in [0, --lr)", lr_min);
}

double Schedule::rate(long epoch) const
{
    const long e = std::clamp(epoch, 1L, epochs);
    switch (kind) {
    case ScheduleKind::constant:
        return lr;
    case ScheduleKind::step: {
        const long every = step_every > 0 ? step_every : std::max(1L, (epochs + 2) / 3);
        return lr * std::pow(step_factor, double((e - 1) / every));
    }
    case ScheduleKind::cosine:
        return cosine_between(lr, lr_min, double(e - 1) / double(epochs));
    case ScheduleKind::one_cycle: {
        // PyTorch's OneCycleLR defaults: pct_start 0.3, div_factor 25, final_div_factor 1e4.
        const double start = lr / 25.0, end = start / 1e4;
        const double peak = std::max(1.0, 0.3 * double(epochs) - 1.0);
        const double i = double(e - 1);
        if (i <= peak)
            return cosine_between(start, lr, i / peak);
        const double rest = std::max(1.0, double(epochs - 1) - peak);
        return cosine_between(lr, end, std::min(1.0, (i - peak) / rest));
    }
    }
    return lr;
}

ScheduleKind parse_schedule(const std::string& name)
{
    for (ScheduleKind k : {ScheduleKind::constant, ScheduleKind::step, ScheduleKind::cosine,
                           ScheduleKind::one_cycle})
        if (name == to_string(k))
            return k;
    throw UsageError("--schedule must be constant, step, cosine or one-cycle (got '" + name + "')");
}

std::string to_string(ScheduleKind kind)
{
    switch (kind) {
    case ScheduleKind::constant:
        return "constant";
    case ScheduleKind::step:
        return "step";
    case ScheduleKind::cosine:
        return "cosine";
    case ScheduleKind::one_cycle:
        return "one-cycle";
    }
    return "constant";
}

} // namespace flowkit::nn
