// Loss and gradient of a sum over the rows of a batch, split across worker threads so that the
// result is bitwise the same for any number of threads (DESIGN.md "Numbers"): the rows are cut
// into fixed blocks (their size does not depend on --threads), every block is evaluated on its
// own, and the per-block losses and gradients are added in block order by one thread.
#pragma once

#include "ad/tape.hpp"
#include "core/eigen.hpp"
#include "nn/mlp.hpp"
#include "nn/objective.hpp"

#include <atomic>
#include <exception>
#include <functional>
#include <memory>
#include <vector>

namespace flowkit::nn {

/// One block's part of a loss that is a SUM over rows [row0, row0 + rows): builds it on tape
/// (cleared before the call), returns its value and writes its gradient with respect to theta
/// into grad (resize it to n_params; it holds a stale gradient from an earlier call otherwise).
/// Called from worker threads, several blocks at once: it may only read shared state.
using BlockFn = std::function<double(ad::Tape& tape, Index row0, Index rows, Vec& grad)>;

class BatchEvaluator
{
public:
    /// threads >= 1 workers (the calling thread is one of them), blocks of block_rows >= 1 rows
    /// (else UsageError naming --threads / std::invalid_argument).
    explicit BatchEvaluator(int threads = 1, Index block_rows = 256);
    ~BatchEvaluator();
    BatchEvaluator(const BatchEvaluator&) = delete;
    BatchEvaluator& operator=(const BatchEvaluator&) = delete;

    int threads() const { return m_threads; }
    Index block_rows() const { return m_block_rows; }
    /// ceil(n_rows / block_rows): block b holds rows [b block_rows, min((b + 1) block_rows, n)).
    Index blocks(Index n_rows) const { return (n_rows + m_block_rows - 1) / m_block_rows; }
    /// Inside a block function: the worker running it, 0 .. threads - 1. A worker runs one block
    /// at a time, so a block function may keep a workspace per worker (per worker and block
    /// size, if the last block is short): it stays in cache from one block to the next.
    static int current_worker();

    /// Sum over the blocks of block_fn's losses, in block order, and likewise of the gradients
    /// (grad resized to n_params; zero loss and gradient for n_rows == 0). The workers take the
    /// blocks in order, each the next one not yet taken, and evaluate it on the worker's own
    /// tape; the last block, when it is short, has a tape of its own, so every tape always sees
    /// the same shapes and rebuilding allocates nothing.
    /// Every block is evaluated even when one throws; then the exception of the first block (in
    /// block order) that threw is rethrown here. std::logic_error if block_fn's gradient does not
    /// have n_params entries.
    double evaluate(Index n_rows, Index n_params, const BlockFn& block_fn, Vec& grad);

private:
    struct Pool;
    /// Worker w's share of the current call.
    void run_worker(int w);

    int m_threads;
    Index m_block_rows;
    std::unique_ptr<Pool> m_pool; // the threads - 1 helper threads; null for one thread
    std::vector<ad::Tape> m_tapes; // one per worker, then one for a short last block
    // The current call (written by the caller before the workers start).
    Index m_rows = 0, m_nblocks = 0;
    std::atomic<Index> m_next_block{0};
    const BlockFn* m_fn = nullptr;
    std::vector<double> m_losses;              // per block
    std::vector<Vec> m_grads;                  // per block
    std::vector<std::exception_ptr> m_errors;  // per block
};

/// Mean squared error of an Mlp on (X, Y), 1/(n m) sum_ij (N(X)_ij - Y_ij)^2 with n rows and
/// m = output_dim, through a BatchEvaluator: an Objective for nn::Adam whose loss and gradient
/// do not depend on the number of threads.
class MlpRegression : public Objective
{
public:
    /// X is n x net.input_dim(), Y n x net.output_dim() (else std::invalid_argument).
    MlpRegression(const Mlp& net, const Mat& X, const Mat& Y, int threads = 1,
                  Index block_rows = 256);

    double evaluate_with_gradient(const Vec& theta, Vec& grad) override;

    const Mlp& net() const { return m_net; }
    Index rows() const { return m_rows; }

private:
    Mlp m_net;
    Index m_rows;
    std::vector<Mat> m_X, m_Y; // the data cut into the evaluator's blocks
    BatchEvaluator m_eval;
};

} // namespace flowkit::nn
