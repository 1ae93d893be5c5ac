// Learning-rate schedules for the stochastic phase of training (--schedule): constant, step,
// cosine (Loshchilov & Hutter 2017, one period) and one-cycle (Smith & Topin 2019, as in
// PyTorch's OneCycleLR with cosine annealing). A schedule is a pure function of the epoch, so
// the epoch is all that resuming needs.
#pragma once

#include <string>

namespace flowkit::nn {

enum class ScheduleKind
{
    constant,
    step,
    cosine,
    one_cycle
};

struct Schedule
{
    ScheduleKind kind = ScheduleKind::constant;
    double lr = 1e-3;        ///< base rate (--lr); the peak of one-cycle
    long epochs = 1;         ///< the span: epochs the schedule covers (>= 1)
    long step_every = 0;     ///< step: epochs between decays (--step-every); 0 = a third of the span
    double step_factor = 0.1;///< step: lr *= factor at each decay (--step-factor), in (0, 1]
    double lr_min = 0.0;     ///< cosine: the rate reached at the end of the span (--lr-min), in [0, lr)

    /// Throws UsageError naming the option.
    void check() const;
    /// The rate for epoch e (1-based); past the span, the rate of the span's last epoch.
    ///   constant  lr
    ///   step      lr * factor^floor((e - 1) / step_every)
    ///   cosine    lr_min + (lr - lr_min) (1 + cos(pi (e - 1) / span)) / 2
    ///   one-cycle warm-up over the first 30 % from lr/25 to lr, then down to lr/25/1e4, both
    ///             halves cosine-shaped
    double rate(long epoch) const;
};

/// "constant", "step", "cosine", "one-cycle" -> kind; UsageError naming --schedule otherwise.
ScheduleKind parse_schedule(const std::string& name);
std::string to_string(ScheduleKind kind);

} // namespace flowkit::nn
