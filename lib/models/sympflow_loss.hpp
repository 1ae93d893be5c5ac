// The unsupervised SympFlow loss (lecture notes "Training SympFlow"; sympflow-facts.md §2):
//   L = (1/C) sum_c |dN/dt(t_c, x0_c) - J grad H(N(t_c, x0_c))|^2  (summed over components)
// at C points with x0 ~ U(Omega) and t ~ U[-0.1 dt, dt], redrawn every epoch from a generator
// seeded by --seed and the epoch (so a resumed run sees the same points); L-BFGS sees one fixed,
// larger set. The vector field enters the tape with the System's VJP, or, for tanh potentials,
// the residual is computed by the fused SympflowResidualKernel instead. --ham-match W adds
// W mean_c (H_N(t_c, x0_c) - H(x0_c))^2, the network's own Hamiltonian against the true one.
#pragma once

#include "models/sympflow.hpp"
#include "models/sympflow_fused.hpp"
#include "nn/batch.hpp"
#include "nn/objective.hpp"
#include "nn/single_precision_mlp.hpp"
#include "ode/system.hpp"

#include <cstdint>
#include <map>
#include <memory>
#include <vector>

namespace flowkit::models {

struct SympflowLossParams
{
    Index collocation = 1000;    ///< points per epoch (--collocation), >= 1
    Index lbfgs_collocation = 0; ///< points of L-BFGS's fixed set; 0 = 4 x collocation
    double ham_match = 0;        ///< weight W of Hamiltonian matching (--ham-match), >= 0
    std::uint64_t seed = 0;
    int threads = 1;
    /// The residual by SympflowResidualKernel where it supports the net (tanh), else the tape;
    /// false: always the tape (the reference).
    bool fused = true;
    /// single: the fused residual of the Adam epochs (their points and the test set) in float
    /// (SympflowResidualKernelF). From use_full_batch() on (L-BFGS) everything is double: the
    /// line search compares losses that differ in digits float does not hold.
    nn::Precision precision = nn::Precision::double_precision;
};

class SympflowLoss : public nn::Objective
{
public:
    /// The system must have a Hamiltonian, be autonomous and have the network's dimension
    /// (UsageError otherwise).
    SympflowLoss(const Sympflow& net, const ode::System& system, SympflowLossParams params);

    double evaluate_with_gradient(const Vec& theta, Vec& grad) override;
    void shuffle(Rng& rng, long epoch) override;
    void use_full_batch() override;

    /// The loss on a fixed test set of 1000 points with t in [-0.1 dt, 0.9 dt] (the paper's
    /// model selection), drawn once from the seed.
    double test_loss(const Vec& theta);

    /// n points: t in [-0.1 dt, hi dt], x0 in Omega.
    void draw(Index n, double hi, Rng& rng, Vec& t, Mat& x0) const;

private:
    /// Whether the fused residual runs in float now: single precision, before L-BFGS.
    bool in_float() const;
    /// The loss at the points (t, x0), and its gradient into *grad unless grad is null.
    double residual(const Vec& t, const Mat& x0, const Vec& theta, Vec* grad);
    /// The fused residual of rows [row0, row0 + rows) of (t, x0) by the kernel of its worker
    /// (or of its size, for a short last block), which prepare_kernels(n) made beforehand.
    template <class Kernel>
    double fused_residual(const Vec& t, const Mat& x0, const Vec& theta, Index row0, Index rows,
                          Vec* grad);

    /// One fused kernel per worker for the full blocks, one per size of a short last block (the
    /// training, test and L-BFGS sets may end in blocks of different sizes): concurrent blocks
    /// never share a workspace, and a worker's stays in cache.
    template <class Kernel>
    struct Kernels
    {
        std::vector<std::unique_ptr<Kernel>> full;
        std::map<Index, std::unique_ptr<Kernel>> short_last;
    };
    template <class Kernel>
    Kernels<Kernel>& kernels(); ///< m_kernels or m_kernels_f
    /// The kernels for a set of n points (not thread-safe: before the blocks run).
    template <class Kernel>
    void prepare_kernels(Index n);

    const Sympflow& m_net;
    const ode::System& m_system;
    SympflowLossParams m_params;
    Vec m_t, m_test_t;
    Mat m_x0, m_test_x0;
    long m_epoch = -1; // the epoch whose points are drawn; -2: L-BFGS's fixed set
    nn::BatchEvaluator m_eval;
    Kernels<SympflowResidualKernel> m_kernels;
    Kernels<SympflowResidualKernelF> m_kernels_f;

};

} // namespace flowkit::models
