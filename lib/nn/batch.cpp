#include "nn/batch.hpp"

#include "core/error.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#ifdef __linux__
#include <pthread.h>
#include <sched.h>
#endif
#include <stdexcept>
#include <string>
#include <thread>

namespace flowkit::nn {

// Persistent helper threads rather than std::thread per call. Measured on a 2-core machine
// (-O3 -march=native; 1000 rows = 4 blocks of 256 with a 2 -> 32 -> 32 -> 1 tanh MLP, MSE loss
// and gradient; best of 3 rounds of 4000 calls, machine lightly loaded): 1 thread ~425-450 us per
// call; 2 threads with this pool ~325-330 us; 2 threads with a std::thread started and joined
// per call ~535-570 us, slower than one thread: besides the 12-40 us to create and join it, a
// fresh thread starts with a cold stack and an empty malloc cache for every temporary. Training
// calls evaluate() once per epoch for thousands of epochs, so the pool pays for itself.
//
// Both sides spin briefly before they sleep: waking a thread through a condition variable costs
// tens of microseconds, as much as a whole call for a small batch (flow matching at batch 256:
// 0.23 ms per step with one thread or two, the handoffs eating the second thread's share). Calls
// come every epoch, so a helper that spins through the gap between them starts at once.
struct BatchEvaluator::Pool
{
    std::mutex mutex;
    std::condition_variable start, done;
    std::atomic<long> generation{0}; // bumped by every call; a helper runs once per new generation
    std::atomic<int> pending{0};     // helpers still running the current generation
    std::atomic<bool> stop{false};
    std::atomic<bool> placed{false}; // the helpers' CPUs are set (start_elsewhere)
    std::vector<std::thread> helpers;
};

namespace {

#ifdef __linux__
using CpuSet = std::optional<cpu_set_t>; // empty if unknown

/// The CPUs the calling thread may run on.
CpuSet allowed_cpus()
{
    cpu_set_t cpus;
    CPU_ZERO(&cpus);
    if (sched_getaffinity(0, sizeof cpus, &cpus) != 0)
        return std::nullopt;
    return cpus;
}

/// Starts a new helper on one of `allowed` other than the caller's CPU, when there is one: a new
/// thread is queued on its parent's CPU, and on a 2-core machine it waited there up to 4 ms for
/// the scheduler to move it (measured: the second worker of a 12 ms sampling run began its
/// first block 2.5-3.9 ms late in 6 runs of 10; with this, 0.03-0.14 ms late in 10 of 10). The
/// helper lifts the restriction once it runs (run_anywhere), so the scheduler may still move it.
void start_elsewhere(std::thread& t, const CpuSet& allowed)
{
    const int here = sched_getcpu();
    if (!allowed || here < 0 || !CPU_ISSET(here, &*allowed) || CPU_COUNT(&*allowed) < 2)
        return;
    cpu_set_t others = *allowed;
    CPU_CLR(here, &others);
    pthread_setaffinity_np(t.native_handle(), sizeof others, &others); // a hint: failure is harmless
}

/// The calling thread may run on all of `allowed` again.
void run_anywhere(const CpuSet& allowed)
{
    if (allowed)
        pthread_setaffinity_np(pthread_self(), sizeof *allowed, &*allowed);
}
#else
struct CpuSet
{
};
CpuSet allowed_cpus() { return {}; }
void start_elsewhere(std::thread&, const CpuSet&) {}
void run_anywhere(const CpuSet&) {}
#endif

/// How long a thread spins for an event before it sleeps on a condition variable.
constexpr auto spin_time = std::chrono::microseconds(200);

/// Spins until ready() or spin_time has passed; returns ready(). It yields now and then: two
/// threads that start on one CPU stay there until the scheduler moves one (measured here: tens
/// of milliseconds), and then the waiting one lets the other run (a 64-row SympFlow-shaped step
/// took 0.73 ms so, against 1.09 ms spinning without a yield and 0.37 ms on two CPUs).
template <class Ready> bool spin_until(Ready ready)
{
    const auto until = std::chrono::steady_clock::now() + spin_time;
    for (int i = 0;; ++i) {
        if (ready())
            return true;
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#endif
        if (i % 64 == 63) {
            if (std::chrono::steady_clock::now() > until)
                return ready();
            std::this_thread::yield();
        }
    }
}

} // namespace

BatchEvaluator::BatchEvaluator(int threads, Index block_rows)
    : m_threads(threads), m_block_rows(block_rows)
{
    if (threads < 1)
        throw UsageError("--threads must be >= 1 (got " + std::to_string(threads) + ")");
    if (block_rows < 1)
        throw std::invalid_argument("nn::BatchEvaluator: block_rows must be >= 1 (got " +
                                    std::to_string(block_rows) + ")");
    m_tapes.resize(std::size_t(threads) + 1);
    if (threads == 1)
        return;
    m_pool = std::make_unique<Pool>();
    const CpuSet allowed = allowed_cpus();
    for (int w = 1; w < threads; ++w)
        m_pool->helpers.emplace_back([this, w, allowed] {
            Pool& p = *m_pool;
            while (!p.placed.load(std::memory_order_acquire)) // start_elsewhere() first
                std::this_thread::yield();
            run_anywhere(allowed);
            long seen = 0;
            const auto started = [&] {
                return p.stop.load(std::memory_order_acquire) ||
                       p.generation.load(std::memory_order_acquire) != seen;
            };
            for (;;) {
                if (!spin_until(started)) {
                    std::unique_lock<std::mutex> lock(p.mutex);
                    p.start.wait(lock, started);
                }
                if (p.stop.load(std::memory_order_acquire))
                    return;
                seen = p.generation.load(std::memory_order_acquire);
                run_worker(w); // catches everything
                if (p.pending.fetch_sub(1, std::memory_order_acq_rel) == 1) {
                    // Under the mutex: a caller between its test and its wait cannot miss it.
                    std::lock_guard<std::mutex> lock(p.mutex);
                    p.done.notify_one();
                }
            }
        });
    for (auto& t : m_pool->helpers)
        start_elsewhere(t, allowed);
    m_pool->placed.store(true, std::memory_order_release);
}

BatchEvaluator::~BatchEvaluator()
{
    if (!m_pool)
        return;
    {
        std::lock_guard<std::mutex> lock(m_pool->mutex);
        m_pool->stop.store(true, std::memory_order_release);
    }
    m_pool->start.notify_all();
    for (auto& t : m_pool->helpers)
        t.join();
}

namespace {
thread_local int t_current_worker = 0;
}

int BatchEvaluator::current_worker() { return t_current_worker; }

// Blocks go to whichever worker is free: with blocks w, w + threads, ... fixed per worker, the
// worker on the slower CPU (a 2-vCPU machine's two differ by 5-30 % at times) or with the larger
// share (1000 SympFlow rows in blocks of 64: 512 against 488) kept the other waiting. Each
// block's loss and gradient have their own slot, added in block order: the bits do not depend on
// which worker ran a block.
void BatchEvaluator::run_worker(int w)
{
    t_current_worker = w;
    const bool short_last = m_rows % m_block_rows != 0;
    for (Index b; (b = m_next_block.fetch_add(1, std::memory_order_relaxed)) < m_nblocks;) {
        const std::size_t k = std::size_t(b);
        const Index row0 = b * m_block_rows, rows = std::min(m_block_rows, m_rows - row0);
        ad::Tape& tape = short_last && b == m_nblocks - 1 ? m_tapes.back() : m_tapes[std::size_t(w)];
        try {
            tape.clear();
            m_losses[k] = (*m_fn)(tape, row0, rows, m_grads[k]);
        } catch (...) {
            m_errors[k] = std::current_exception();
        }
    }
}

double BatchEvaluator::evaluate(Index n_rows, Index n_params, const BlockFn& block_fn, Vec& grad)
{
    if (n_rows < 0 || n_params < 0)
        throw std::invalid_argument("nn::BatchEvaluator: negative n_rows or n_params");
    m_rows = n_rows;
    m_nblocks = blocks(n_rows);
    m_fn = &block_fn;
    const std::size_t nb = std::size_t(m_nblocks);
    m_losses.assign(nb, 0.0);
    if (m_grads.size() < nb)
        m_grads.resize(nb);
    m_errors.assign(nb, nullptr);
    m_next_block.store(0, std::memory_order_relaxed); // published by the generation's release

    const int helpers = m_pool ? int(std::min<Index>(m_threads, m_nblocks)) - 1 : 0;
    if (helpers > 0) {
        Pool& p = *m_pool;
        // Every helper runs; those without blocks return at once.
        p.pending.store(m_threads - 1, std::memory_order_relaxed);
        {
            std::lock_guard<std::mutex> lock(p.mutex);
            p.generation.fetch_add(1, std::memory_order_release);
        }
        p.start.notify_all();
    }
    run_worker(0);
    if (helpers > 0) {
        Pool& p = *m_pool;
        const auto finished = [&] { return p.pending.load(std::memory_order_acquire) == 0; };
        if (!spin_until(finished)) {
            std::unique_lock<std::mutex> lock(p.mutex);
            p.done.wait(lock, finished);
        }
    }
    m_fn = nullptr;

    for (const auto& e : m_errors)
        if (e)
            std::rethrow_exception(e);
    // The reduction: one thread, block order.
    grad.setZero(n_params);
    double loss = 0.0;
    for (std::size_t k = 0; k < nb; ++k) {
        if (m_grads[k].size() != n_params)
            throw std::logic_error("nn::BatchEvaluator: block " + std::to_string(k) +
                                   " wrote a gradient of " + std::to_string(m_grads[k].size()) +
                                   " entries, want " + std::to_string(n_params));
        loss += m_losses[k];
        grad += m_grads[k];
    }
    return loss;
}

MlpRegression::MlpRegression(const Mlp& net, const Mat& X, const Mat& Y, int threads,
                             Index block_rows)
    : m_net(net), m_rows(X.rows()), m_eval(threads, block_rows)
{
    if (X.cols() != net.input_dim() || Y.cols() != net.output_dim() || Y.rows() != X.rows())
        throw std::invalid_argument("nn::MlpRegression: X is " + std::to_string(X.rows()) + "x" +
                                    std::to_string(X.cols()) + ", Y " + std::to_string(Y.rows()) +
                                    "x" + std::to_string(Y.cols()) + ", the network " +
                                    std::to_string(net.input_dim()) + " -> " +
                                    std::to_string(net.output_dim()));
    for (Index b = 0; b < m_eval.blocks(m_rows); ++b) {
        const Index row0 = b * block_rows, rows = std::min(block_rows, m_rows - row0);
        m_X.push_back(X.middleRows(row0, rows));
        m_Y.push_back(Y.middleRows(row0, rows));
    }
}

double MlpRegression::evaluate_with_gradient(const Vec& theta, Vec& grad)
{
    if (theta.size() != m_net.num_params())
        throw std::invalid_argument("nn::MlpRegression: theta has " + std::to_string(theta.size()) +
                                    " entries, the network " + std::to_string(m_net.num_params()));
    const BlockFn fn = [&](ad::Tape& tape, Index row0, Index, Vec& g) {
        const std::size_t b = std::size_t(row0 / m_eval.block_rows());
        const auto p = m_net.put_params(tape, theta);
        const Id r = tape.sub(m_net.forward(tape, p, tape.input(m_X[b])), tape.input(m_Y[b]));
        const Id L = tape.sum(tape.square(r));
        tape.backward(L);
        m_net.gather_gradient(tape, p, g);
        return tape.value(L)(0, 0);
    };
    const double sum = m_eval.evaluate(m_rows, m_net.num_params(), fn, grad);
    const double scale = m_rows > 0 ? 1.0 / double(m_rows * m_net.output_dim()) : 0.0;
    grad *= scale;
    return sum * scale;
}

} // namespace flowkit::nn
