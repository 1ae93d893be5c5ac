// Maximum-likelihood training of a continuous normalising flow (lecture notes "Main drawback of
// log-likelihood maximisation"): the loss is the mean of -log p_1(x) over a batch of data points,
// each log-density from the density ODE solved from x at t = 1 back to t = 0 (cnf_model.hpp),
// with the exact trace or Hutchinson's estimator (one probe per point, fixed for the whole solve
// and redrawn with the batch). The gradient comes from backpropagation through the solver or
// from the continuous adjoint (ode/sensitivity.hpp); blocks of rows are solved in parallel, so
// the result does not depend on --threads.
#pragma once

#include "models/cnf_model.hpp"
#include "nn/batch.hpp"
#include "nn/objective.hpp"
#include "nn/single_precision_mlp.hpp"
#include "ode/sensitivity.hpp"

#include <memory>
#include <vector>

namespace flowkit::models {

struct CnfLikelihoodParams
{
    ode::SolverSettings solver;  ///< the training solve
    ode::SolverSettings adjoint; ///< the backward solve of --grad adjoint
    ode::GradientMethod gradient = ode::GradientMethod::backprop;
    TraceEstimator trace = TraceEstimator::exact;
    ProbeDistribution probe = ProbeDistribution::rademacher;
    Index batch = 256; ///< points per optimiser step, drawn with replacement
    nn::Precision precision = nn::Precision::double_precision; ///< of the network's evaluations
    int threads = 1;
};

class CnfLikelihoodLoss : public nn::Objective
{
public:
    /// data: one point per row, the architecture's dimension.
    CnfLikelihoodLoss(const CnfArchitecture& arch, const Mat& data, CnfLikelihoodParams params);
    ~CnfLikelihoodLoss() override;

    double evaluate_with_gradient(const Vec& theta, Vec& grad) override;
    /// A fresh batch and fresh probes.
    void shuffle(Rng& rng, long epoch) override;
    /// Every data point, with probes from a fixed seed.
    void use_full_batch() override;

    /// Vector-field evaluations in the last evaluation per data point (the evaluations of every
    /// point summed, over the points).
    double forward_evaluations() const { return m_forward_evaluations; }
    double backward_evaluations() const { return m_backward_evaluations; }

private:
    struct Block;
    double block_loss(Index row0, Index rows, Vec& grad);

    const Mat& m_data;
    CnfLikelihoodParams m_params;
    CnfDensityField m_field;
    std::vector<Index> m_selected; // the batch's rows of the data
    Mat m_probes;                  // one per selected row (Hutchinson)
    std::vector<std::unique_ptr<Block>> m_blocks;
    nn::BatchEvaluator m_eval;
    double m_forward_evaluations = 0, m_backward_evaluations = 0;
};

} // namespace flowkit::models
