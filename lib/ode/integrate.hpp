// The integrate loop (DESIGN.md): owns time (t = t0 + k h for fixed steps), calls the observer
// at t0, at the chosen steps or output times, and at the end, and returns statistics.
#pragma once

#include "ode/dopri5.hpp"
#include "ode/output_times.hpp"
#include "ode/stepper.hpp"

#include <functional>
#include <vector>

namespace flowkit::ode {

struct IntegrateSettings
{
    double t0 = 0;
    double t1 = 1;
    double dt = 0.01;           ///< step size; the initial step of dopri5
    OutputSchedule output;
    long max_steps = 10000000;  ///< dopri5: step attempts per trajectory
    int threads = 1;            ///< fixed steps: worker threads for large batches (same output)
};

struct IntegrateStats
{
    long steps = 0;       ///< accepted steps, summed over trajectories
    long rejected = 0;    ///< rejected dopri5 attempts, summed over trajectories
    long evaluations = 0; ///< vector-field evaluations, summed over trajectories
};

/// Receives output: x.row(k) is trajectory rows[k] at time t(k).
using Observer = std::function<void(const std::vector<Index>& rows, const Vec& t, const Mat& x)>;
/// Receives the fraction of the interval done, now and then.
using ProgressFn = std::function<void(double fraction)>;

/// Fixed steps: when (t1 - t0)/dt is within 1e-9 of an integer n, exactly n steps; else the
/// last step is shortened to land on t1. x (n x dim) holds the initial states and, on
/// return, the final ones. ComputeError when a state becomes NaN or Inf.
IntegrateStats integrate_fixed(Stepper& stepper, Mat& x, const IntegrateSettings& settings,
                               const Observer& observe, const ProgressFn& progress = {});

/// Adaptive dopri5 steps; each row keeps its own step size, so one hard trajectory neither
/// slows nor spoils the others. Step control: RMS error norm, safety 0.9, growth at most 10
/// (1 right after a rejection), shrink at least 0.2. ComputeError when a step size underflows
/// or a trajectory needs more than max_steps attempts.
IntegrateStats integrate_adaptive(Dopri5& stepper, Mat& x, const IntegrateSettings& settings,
                                  const Observer& observe, const ProgressFn& progress = {});

} // namespace flowkit::ode
