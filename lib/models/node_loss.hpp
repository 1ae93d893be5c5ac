// The Neural ODE's training loss (CLI.md "node-fit"): the mean squared error of the predictions
// at every observed point (the first of each trajectory included), or the squared error relative
// to the data's sum of squares (--loss relative), over a minibatch of trajectories. Its gradient
// comes from backpropagation through the solver or from the continuous adjoint
// (ode/sensitivity.hpp); the trajectories are cut into fixed blocks solved in parallel, so the
// result does not depend on --threads.
#pragma once

#include "models/node_model.hpp"
#include "models/trajectory_data.hpp"
#include "nn/batch.hpp"
#include "nn/objective.hpp"
#include "ode/sensitivity.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace flowkit::models {

struct NodeLossParams
{
    ode::SolverSettings solver;   ///< the forward solve
    ode::SolverSettings adjoint;  ///< the backward solve of --grad adjoint
    ode::GradientMethod gradient = ode::GradientMethod::backprop;
    bool relative = false;        ///< --loss relative
    Index batch = 0;              ///< trajectories per optimiser step (0: all)
    nn::Precision precision = nn::Precision::double_precision; ///< the network's arithmetic
    std::uint64_t seed = 0;
    int threads = 1;
};

class NodeLoss : public nn::Objective
{
public:
    /// Data and architecture must agree on the state (and, second order, the velocities).
    NodeLoss(const NodeArchitecture& arch, const TrajectoryData& data, NodeLossParams params);
    ~NodeLoss() override;

    double evaluate_with_gradient(const Vec& theta, Vec& grad) override;
    Index num_batches() const override;
    void select_batch(Index b) override;
    void shuffle(Rng& rng, long epoch) override;
    void use_full_batch() override;

    /// Vector-field evaluations per trajectory in the current epoch (its minibatches added),
    /// forward and backward: the evaluations of every trajectory summed, over the number of
    /// trajectories. (torchdiffeq counts calls over a batch, whose rows all take every step; a
    /// block here evaluates only the trajectories still moving.)
    double forward_evaluations() const { return m_forward_evaluations; }
    double backward_evaluations() const { return m_backward_evaluations; }

    /// The predictions B y + b at every observation of the data (layout of data.times).
    void predict(const Vec& theta, Mat& p);

private:
    struct Block;
    /// Loss sum of trajectories `rows` of m_selected from row0, gradient into grad (unscaled).
    double block_loss(Index row0, Index rows, Vec& grad, bool with_gradient, Mat* predictions);
    /// The initial states (x0, and v0 for a second-order model) of trajectory k.
    void initial_state(Index k, Eigen::Ref<Eigen::RowVectorXd, 0, Eigen::InnerStride<>> x0,
                       Eigen::Ref<Eigen::RowVectorXd, 0, Eigen::InnerStride<>> v0) const;

    NodeArchitecture m_arch;
    const TrajectoryData& m_data;
    NodeLossParams m_params;
    NeuralField m_field;
    const Vec* m_theta = nullptr;
    std::vector<Index> m_order;    // trajectories in this epoch's order
    std::vector<Index> m_selected; // the current minibatch
    std::vector<std::unique_ptr<Block>> m_blocks;
    nn::BatchEvaluator m_eval;
    double m_forward_evaluations = 0, m_backward_evaluations = 0;
};

} // namespace flowkit::models
