#include "models/pinn_loss.hpp"

#include "core/error.hpp"
#include "models/field_on_tape.hpp"
#include "ode/params_as_state.hpp"

#include <cmath>

namespace flowkit::models {

namespace {

// Generators apart from the training loop's: one per collocation draw, one for L-BFGS's set.
constexpr std::uint64_t draw_stream = 0x636f6c6c6f636174;  // "collocat"
constexpr std::uint64_t lbfgs_stream = 0x6c62666773736574; // "lbfgsset"

} // namespace

void PinnLossParams::check() const
{
    require_option(collocation >= 1, "--collocation", ">= 1", double(collocation));
    require_option(resample_every >= 1, "--resample-every", ">= 1", double(resample_every));
    require_option(lbfgs_collocation >= 0, "--lbfgs-collocation", ">= 0",
                   double(lbfgs_collocation));
    require_option(ic_weight >= 0 && std::isfinite(ic_weight), "--ic-weight", ">= 0", ic_weight);
}

PinnLoss::PinnLoss(const Pinn& pinn, const ode::System& system, PinnLossParams params)
    : m_pinn(pinn), m_system(system), m_params(params), m_eval(params.threads, 128)
{
    m_params.check();
    if (system.dim() != pinn.arch().dim())
        throw UsageError("the system has " + std::to_string(system.dim()) +
                         " state variables, the network " + std::to_string(pinn.arch().dim()));
    if (pinn.arch().mode == PinnMode::flow_map && !system.autonomous())
        throw UsageError("a flow map needs an autonomous system (this one depends on t): "
                         "train an IVP with --ic and --t-end instead");
    if (pinn.arch().num_inputs_params() > 0)
        m_with_params = ode::params_as_state(system, pinn.arch().param_names());
    draw_block(0);
}

void PinnLoss::draw(Index n, Rng& rng, Vec& t, Mat& x0, Mat& k) const
{
    const PinnArchitecture& a = m_pinn.arch();
    Mat u;
    sample_unit_cube(m_params.sampler, n, a.input_dim(), rng, u);
    t = a.span * u.col(0);
    // the columns of u after t: x0 (flow map), then k (parametric), each mapped onto its box
    Index col = 1;
    auto onto = [&](const std::vector<io::Range>& box, Mat& out) {
        out.resize(n, Index(box.size()));
        for (std::size_t j = 0; j < box.size(); ++j, ++col)
            out.col(Index(j)) = (box[j].lo + (box[j].hi - box[j].lo) * u.col(col).array()).matrix();
    };
    if (a.mode == PinnMode::ivp)
        x0.resize(0, a.dim());
    else
        onto(a.domain, x0);
    onto(a.param_domain, k);
}

void PinnLoss::shuffle(Rng&, long epoch)
{
    draw_block(epoch < 1 ? 0 : (epoch - 1) / m_params.resample_every);
}

void PinnLoss::draw_block(long block)
{
    if (block == m_block)
        return;
    // The points of a block of epochs depend on the seed and the block only: a resumed run
    // starting inside a block draws the same ones.
    Rng rng(m_params.seed ^ draw_stream);
    Rng draws(rng.next_u64() + std::uint64_t(block));
    draw(m_params.collocation, draws, m_t, m_x0, m_k);
    m_block = block;
}

void PinnLoss::use_full_batch()
{
    if (m_block == full_set)
        return;
    m_block = full_set;
    const Index n = m_params.lbfgs_collocation > 0 ? m_params.lbfgs_collocation
                                                   : 4 * m_params.collocation;
    Rng rng(m_params.seed ^ lbfgs_stream);
    draw(n, rng, m_t, m_x0, m_k);
}

double PinnLoss::evaluate_with_gradient(const Vec& theta, Vec& grad)
{
    const Pinn& pinn = m_pinn;
    const PinnArchitecture& a = pinn.arch();
    const bool ivp = a.mode == PinnMode::ivp;
    const bool soft = a.ic_mode == IcMode::soft;
    const bool one_row_at_zero = ivp && a.num_inputs_params() == 0;
    const Index n = m_t.size(), d = a.dim();
    const double weight = m_params.ic_weight;
    const nn::BlockFn block = [&](ad::Tape& tape, Index row0, Index rows, Vec& g) {
        const Vec t = m_t.segment(row0, rows);
        const Mat x0 = ivp ? Mat() : Mat(m_x0.middleRows(row0, rows));
        const Mat k = m_with_params ? Mat(m_k.middleRows(row0, rows)) : Mat();
        std::vector<ad::Tape::Id> params;
        pinn.net().put_params(tape, theta, params);
        const Pinn::Nodes nodes = pinn.build(tape, params, t, x0, k);
        // F(t, N); with parameters as inputs, the first d components of the field of (x, k)
        // at (N, k), with its VJP (dF/dx)^T a
        const ad::Tape::Id F =
            !m_with_params
                ? field_on_tape(tape, m_system, t, nodes.N)
                : tape.call(
                      {nodes.N},
                      [&](const std::vector<const Mat*>& in, Mat& out) {
                          Mat z(rows, d + k.cols()), f;
                          z << *in[0], k;
                          m_with_params->rhs(t, z, f);
                          out = f.leftCols(d);
                      },
                      [&](const std::vector<const Mat*>& in, const Mat&, const Mat& out_grad,
                          const std::vector<Mat*>& in_grads) {
                          Mat z(rows, d + k.cols()), w = Mat::Zero(rows, d + k.cols()), vjp;
                          z << *in[0], k;
                          w.leftCols(d) = out_grad;
                          m_with_params->vjp(t, z, w, vjp);
                          *in_grads[0] += vjp.leftCols(d);
                      });
        ad::Tape::Id L = tape.sum(tape.square(tape.sub(nodes.dNdt, F)));
        if (soft && (!one_row_at_zero || row0 == 0)) {
            // ic_weight * mean |Ñ(0) - x0|^2: the mean is over the C points (the total is
            // divided by C below), so a lone row at t = 0 counts C times, once
            const ad::Tape::Id X0 = ivp ? tape.input(a.ic.transpose().replicate(
                                              one_row_at_zero ? 1 : rows, 1))
                                        : tape.input(x0);
            const double w = one_row_at_zero ? weight * double(n) : weight;
            L = tape.add(L, tape.scale(tape.sum(tape.square(tape.sub(nodes.N0, X0))), w));
        }
        tape.backward(L);
        pinn.net().gather_gradient(tape, params, g);
        return tape.value(L)(0, 0);
    };
    const double sum = m_eval.evaluate(n, pinn.num_params(), block, grad);
    grad /= double(n);
    return sum / double(n);
}

} // namespace flowkit::models
