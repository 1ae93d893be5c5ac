#include "models/sympflow_loss.hpp"

#include "core/error.hpp"
#include "models/field_on_tape.hpp"

#include <cmath>
#include <type_traits>

namespace flowkit::models {

namespace {

constexpr std::uint64_t draw_stream = 0x73796d70666c6f77;  // "sympflow"
constexpr std::uint64_t lbfgs_stream = 0x6c62666773736574; // "lbfgsset"
constexpr std::uint64_t test_stream = 0x7465737473657421;  // "testset!"

} // namespace

// Blocks of 64 rows: the fused kernel keeps every potential's forward state for the reverse
// pass, and at 64 rows all of it stays in L2 (harmonic oscillator, 1000 points, 2 threads:
// 0.98 ms per epoch, 1.07 with blocks of 128).
SympflowLoss::SympflowLoss(const Sympflow& net, const ode::System& system,
                           SympflowLossParams params)
    : m_net(net), m_system(system), m_params(params), m_eval(params.threads, 64)
{
    require_option(m_params.collocation >= 1, "--collocation", ">= 1", double(m_params.collocation));
    require_option(m_params.ham_match >= 0 && std::isfinite(m_params.ham_match), "--ham-match",
                   ">= 0", m_params.ham_match);
    if (!system.hamiltonian())
        throw UsageError("SympFlow learns Hamiltonian flows: give a system with a Hamiltonian "
                         "(--system NAME or --hamiltonian)");
    if (!system.autonomous())
        throw UsageError("SympFlow needs an autonomous system");
    if (system.dim() != net.arch().dim())
        throw UsageError("the system has " + std::to_string(system.dim()) +
                         " state variables, the network " + std::to_string(net.arch().dim()));
    Rng test(m_params.seed ^ test_stream);
    draw(1000, 0.9, test, m_test_t, m_test_x0);
    Rng unused;
    shuffle(unused, 1); // the points of epoch 1 (shuffle draws from the seed and the epoch)
}

void SympflowLoss::draw(Index n, double hi, Rng& rng, Vec& t, Mat& x0) const
{
    const SympflowArchitecture& a = m_net.arch();
    t.resize(n);
    x0.resize(n, a.dim());
    for (Index i = 0; i < n; ++i) {
        t(i) = rng.uniform(-0.1 * a.dt, hi * a.dt);
        for (Index j = 0; j < a.dim(); ++j)
            x0(i, j) = rng.uniform(a.domain[std::size_t(j)].lo, a.domain[std::size_t(j)].hi);
    }
}

void SympflowLoss::shuffle(Rng&, long epoch)
{
    if (epoch == m_epoch)
        return;
    Rng seeds(m_params.seed ^ draw_stream);
    Rng rng(seeds.next_u64() + std::uint64_t(epoch));
    draw(m_params.collocation, 1.0, rng, m_t, m_x0);
    m_epoch = epoch;
}

void SympflowLoss::use_full_batch()
{
    if (m_epoch == -2)
        return;
    Rng rng(m_params.seed ^ lbfgs_stream);
    const Index n = m_params.lbfgs_collocation > 0 ? m_params.lbfgs_collocation
                                                   : 4 * m_params.collocation;
    draw(n, 1.0, rng, m_t, m_x0);
    m_epoch = -2;
}

bool SympflowLoss::in_float() const
{
    return m_params.precision == nn::Precision::single_precision && m_epoch != -2;
}

double SympflowLoss::evaluate_with_gradient(const Vec& theta, Vec& grad)
{
    return residual(m_t, m_x0, theta, &grad);
}

double SympflowLoss::test_loss(const Vec& theta)
{
    return residual(m_test_t, m_test_x0, theta, nullptr);
}

template <class Kernel>
SympflowLoss::Kernels<Kernel>& SympflowLoss::kernels()
{
    if constexpr (std::is_same_v<Kernel, SympflowResidualKernel>)
        return m_kernels;
    else
        return m_kernels_f;
}

template <class Kernel>
void SympflowLoss::prepare_kernels(Index n)
{
    Kernels<Kernel>& k = kernels<Kernel>();
    while (Index(k.full.size()) < m_eval.threads())
        k.full.push_back(std::make_unique<Kernel>(m_net));
    if (const Index last = n % m_eval.block_rows(); last > 0 && !k.short_last.count(last))
        k.short_last.emplace(last, std::make_unique<Kernel>(m_net));
}

template <class Kernel>
double SympflowLoss::fused_residual(const Vec& t, const Mat& x0, const Vec& theta, Index row0,
                                    Index rows, Vec* grad)
{
    const Index block_rows = m_eval.block_rows();
    Kernels<Kernel>& k = kernels<Kernel>();
    Kernel& kernel = rows < block_rows
                         ? *k.short_last.at(rows)
                         : *k.full[std::size_t(nn::BatchEvaluator::current_worker())];
    return kernel.residual(m_system, theta, t.segment(row0, rows), x0.middleRows(row0, rows),
                           grad);
}

double SympflowLoss::residual(const Vec& t_all, const Mat& x0_all, const Vec& theta, Vec* grad)
{
    const Sympflow& net = m_net;
    const ode::System& system = m_system;
    const bool fused = m_params.fused && SympflowResidualKernel::supports(net);
    // The residual by the fused kernel; the Hamiltonian-matching term (if any) on the tape.
    const Index n = t_all.size();
    const bool single = in_float();
    if (fused && single)
        prepare_kernels<SympflowResidualKernelF>(n);
    else if (fused)
        prepare_kernels<SympflowResidualKernel>(n);
    const nn::BlockFn fused_block = [&](ad::Tape& tape, Index row0, Index rows, Vec& g) {
        Vec* gk = grad ? &g : nullptr;
        double L = single ? fused_residual<SympflowResidualKernelF>(t_all, x0_all, theta, row0,
                                                                     rows, gk)
                          : fused_residual<SympflowResidualKernel>(t_all, x0_all, theta, row0,
                                                                    rows, gk);
        if (!grad)
            g.setZero(net.num_params());
        if (m_params.ham_match > 0) {
            const Vec t = t_all.segment(row0, rows);
            const Mat x0 = x0_all.middleRows(row0, rows);
            Vec H;
            system.H(x0, H);
            std::vector<std::vector<ad::Tape::Id>> ids;
            net.put_params(tape, theta, ids);
            const ad::Tape::Id h0 =
                tape.param(Mat::Constant(1, 1, theta(net.num_params() - 1)));
            const ad::Tape::Id HN = net.hamiltonian(tape, ids, h0, t, tape.input(x0));
            const ad::Tape::Id LH = tape.scale(
                tape.sum(tape.square(tape.sub(HN, tape.input(H)))), m_params.ham_match);
            L += tape.value(LH)(0, 0);
            if (grad) {
                tape.backward(LH);
                Vec gh;
                net.gather_gradient(tape, ids, gh);
                g += gh;
                g(net.num_params() - 1) = tape.grad(h0)(0, 0);
            }
        }
        return L;
    };
    const nn::BlockFn block = [&](ad::Tape& tape, Index row0, Index rows, Vec& g) {
        const Vec t = t_all.segment(row0, rows);
        std::vector<std::vector<ad::Tape::Id>> ids;
        net.put_params(tape, theta, ids);
        const Sympflow::Nodes nodes = net.build(tape, ids, t, x0_all.middleRows(row0, rows));
        const ad::Tape::Id F = field_on_tape(tape, system, t, nodes.N); // J grad H(N)
        ad::Tape::Id L = tape.sum(tape.square(tape.sub(nodes.dNdt, F)));
        ad::Tape::Id h0 = -1;
        if (m_params.ham_match > 0) {
            const Mat x0 = x0_all.middleRows(row0, rows);
            Vec H;
            system.H(x0, H);
            h0 = tape.param(Mat::Constant(1, 1, theta(net.num_params() - 1)));
            const ad::Tape::Id HN = net.hamiltonian(tape, ids, h0, t, tape.input(x0));
            L = tape.add(L, tape.scale(tape.sum(tape.square(tape.sub(HN, tape.input(H)))),
                                       m_params.ham_match));
        }
        if (!grad) { // the value only: no reverse sweep
            g.setZero(net.num_params());
            return tape.value(L)(0, 0);
        }
        tape.backward(L);
        net.gather_gradient(tape, ids, g);
        if (h0 >= 0)
            g(net.num_params() - 1) = tape.grad(h0)(0, 0);
        return tape.value(L)(0, 0);
    };
    Vec unused;
    const double sum =
        m_eval.evaluate(n, net.num_params(), fused ? fused_block : block, grad ? *grad : unused);
    if (grad)
        *grad /= double(n);
    return sum / double(n);
}

} // namespace flowkit::models
