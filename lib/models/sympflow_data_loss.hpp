// The supervised SympFlow loss (the paper's "discovery", sympflow-facts.md §2): the mean squared
// error (1/(M d)) sum_m |N(s_m, x0_m) - y_m|^2 over minibatches of the samples, reshuffled every
// epoch from the loop's generator; L-BFGS sees all of them. The equations are never used.
#pragma once

#include "models/flow_samples.hpp"
#include "models/sympflow.hpp"
#include "nn/batch.hpp"
#include "nn/objective.hpp"

#include <vector>

namespace flowkit::models {

class SympflowDataLoss : public nn::Objective
{
public:
    /// batch_size >= 1 (UsageError naming --batch-size); the samples' dimension must be the
    /// network's.
    SympflowDataLoss(const Sympflow& net, FlowSamples samples, Index batch_size, int threads);

    double evaluate_with_gradient(const Vec& theta, Vec& grad) override;
    Index num_batches() const override;
    void select_batch(Index b) override;
    /// A permutation of the samples from rng (Fisher-Yates), whatever the earlier ones were.
    void shuffle(Rng& rng, long epoch) override;
    void use_full_batch() override;

    const FlowSamples& samples() const { return m_samples; }

private:
    const Sympflow& m_net;
    FlowSamples m_samples;
    Index m_batch_size;
    std::vector<Index> m_order;
    bool m_full = false;
    Mat m_x0, m_y; // the current batch
    Vec m_s;
    nn::BatchEvaluator m_eval;
};

} // namespace flowkit::models
