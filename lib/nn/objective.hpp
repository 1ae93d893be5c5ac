// What an optimiser minimises: ensmallen's EvaluateWithGradient / LBFGSpp's f(x, grad)
// (STYLE.md 6.3). The optimiser knows nothing of networks; the training loop (nn/training.hpp)
// drives the minibatch hooks.
#pragma once

#include "core/eigen.hpp"
#include "core/rng.hpp"

namespace flowkit::nn {

struct Objective
{
    /// Returns f(theta) on the current batch and writes df/dtheta into grad (resized by the
    /// callee).
    virtual double evaluate_with_gradient(const Vec& theta, Vec& grad) = 0;

    /// Minibatches in one stochastic epoch; evaluate_with_gradient evaluates the one chosen by
    /// select_batch(b), 0 <= b < num_batches().
    virtual Index num_batches() const { return 1; }
    virtual void select_batch(Index /*b*/) {}
    /// Called before every stochastic (Adam) epoch (1-based): redraw collocation points,
    /// reshuffle minibatches. Every random choice comes from `rng`, whose state the loop saves,
    /// or from a generator seeded by the epoch, and depends on nothing else (not on earlier
    /// calls), so that a resumed run, with a fresh Objective, draws what the uninterrupted run
    /// would have.
    virtual void shuffle(Rng& /*rng*/, long /*epoch*/) {}
    /// Called before every L-BFGS epoch: from now on evaluate one fixed function (the whole
    /// data set, a fixed collocation set), identical after a resume. Idempotent.
    virtual void use_full_batch() {}

    virtual ~Objective() = default;
};

} // namespace flowkit::nn
