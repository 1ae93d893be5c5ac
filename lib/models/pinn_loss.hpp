// The PINN training loss (lecture notes "What is a PINN and how is it trained?"):
//   L = (1/C) sum_c |dN/dt(t_c, x0_c) - F(t_c, N(t_c, x0_c))|^2  (+ ic_weight * mean |Ñ(0) - x0|^2
// in soft mode), summed over components, at C collocation points (t_c, x0_c) redrawn every
// resample_every epochs; L-BFGS sees one fixed, larger set. F enters the tape as an outside
// function with the System's VJP; the batch is split across threads in fixed blocks.
#pragma once

#include "models/collocation.hpp"
#include "models/pinn.hpp"
#include "nn/batch.hpp"
#include "nn/objective.hpp"
#include "ode/system.hpp"

#include <cstdint>
#include <memory>

namespace flowkit::models {

struct PinnLossParams
{
    Index collocation = 1000;      ///< points per epoch (--collocation), >= 1
    long resample_every = 1;       ///< epochs between redraws (--resample-every), >= 1
    Sampler sampler = Sampler::uniform;
    Index lbfgs_collocation = 0;   ///< points of L-BFGS's fixed set; 0 = 4 x collocation
    double ic_weight = 1.0;        ///< soft mode penalty weight (--ic-weight), >= 0
    std::uint64_t seed = 0;
    int threads = 1;

    void check() const;
};

class PinnLoss : public nn::Objective
{
public:
    /// The system must be autonomous in flow-map mode (UsageError otherwise), have the
    /// network's dimension, and (parametric) the parameters of its param_domain. Draws the first
    /// collocation set.
    PinnLoss(const Pinn& pinn, const ode::System& system, PinnLossParams params);

    double evaluate_with_gradient(const Vec& theta, Vec& grad) override;
    /// The points of the epoch's block of K = resample_every epochs, from a generator seeded by
    /// --seed and the block, so a resumed run sees the same points.
    void shuffle(Rng& rng, long epoch) override;
    void use_full_batch() override;

    /// The current points: times (C), initial states (C x dim; empty for an ivp) and parameter
    /// values (C x parameters; empty unless parametric).
    const Vec& times() const { return m_t; }
    const Mat& initial_states() const { return m_x0; }
    const Mat& parameters() const { return m_k; }
    /// Draws n points (t in [0, span], x0 in the domain, k in the parameter box).
    void draw(Index n, Rng& rng, Vec& t, Mat& x0, Mat& k) const;

private:
    static constexpr long full_set = -1;
    /// Draws the points of epochs [block K + 1, (block + 1) K] unless they are the current ones.
    void draw_block(long block);

    const Pinn& m_pinn;
    const ode::System& m_system;
    PinnLossParams m_params;
    std::unique_ptr<ode::System> m_with_params; // parametric: the system of (x, k)
    Vec m_t;
    Mat m_x0, m_k;
    long m_block = -2; // the block of epochs the points belong to, or full_set
    nn::BatchEvaluator m_eval;
};

} // namespace flowkit::models
