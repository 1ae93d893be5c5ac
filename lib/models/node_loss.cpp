#include "models/node_loss.hpp"

#include "core/error.hpp"
#include "io/table.hpp"

#include <algorithm>
#include <numeric>

namespace flowkit::models {

namespace {

/// Trajectories per block, for batches of `batch`: the solver steps a block's rows together, so
/// its work per step (step-size control, dense output, the record for backpropagation) is
/// shared by more rows in a larger block. On bench/node.sh's data (1000 trajectories) a
/// single-precision iteration took 24.4 ms on one thread in blocks of 128, 23.1 in blocks of 256
/// and 22.0 in blocks of 512. But a block is one thread's work: a quarter of the batch, at least
/// 128 and at most 256, keeps two threads busy and evenly loaded (12.9 -> 12.3 ms an iteration
/// there on two threads). It depends on the data only, not on --threads: the same result for
/// any number of threads.
Index block_trajectories(Index batch)
{
    return std::clamp((batch + 3) / 4, Index(128), Index(256));
}

} // namespace

struct NodeLoss::Block
{
    explicit Block(const NodeLossParams& p) : forward(p.solver), adjoint(p.adjoint) {}

    ode::ForwardSolve forward;
    ode::ContinuousAdjoint adjoint;
    ode::ObservationTimes times;
    Mat x0, v0, y0, states, p, targets, pbar, sbar, y0bar;
    long forward_evaluations = 0, backward_evaluations = 0;
};

NodeLoss::NodeLoss(const NodeArchitecture& arch, const TrajectoryData& data, NodeLossParams params)
    : m_arch(arch), m_data(data), m_params(std::move(params)),
      m_field(arch, Vec::Zero(arch.num_params())),
      m_eval(m_params.threads,
             block_trajectories(m_params.batch > 0 ? std::min(m_params.batch, data.trajectories())
                                                   : data.trajectories()))
{
    m_params.solver.check();
    m_params.adjoint.check("adjoint-");
    require_option(m_params.batch >= 0, "--batch", ">= 0 (0: every trajectory)",
                   double(m_params.batch));
    if (data.names != arch.state_names)
        throw std::invalid_argument("NodeLoss: the data's columns are not the model's state");
    m_order.resize(std::size_t(data.trajectories()));
    std::iota(m_order.begin(), m_order.end(), Index(0));
    m_selected = m_order;
    if (m_params.precision == nn::Precision::single_precision)
        m_field.use_single_precision();
    for (Index b = 0; b < m_eval.blocks(data.trajectories()); ++b)
        m_blocks.push_back(std::make_unique<Block>(m_params));
}

NodeLoss::~NodeLoss() = default;

Index NodeLoss::num_batches() const
{
    const Index m = m_data.trajectories(), b = m_params.batch;
    return b <= 0 || b >= m ? 1 : (m + b - 1) / b;
}

void NodeLoss::shuffle(Rng& rng, long)
{
    std::iota(m_order.begin(), m_order.end(), Index(0));
    for (std::size_t i = m_order.size(); i > 1; --i)
        std::swap(m_order[i - 1], m_order[rng.next_u64() % i]);
    m_forward_evaluations = m_backward_evaluations = 0;
    select_batch(0);
}

void NodeLoss::select_batch(Index b)
{
    const Index m = m_data.trajectories();
    const Index size = num_batches() == 1 ? m : m_params.batch;
    const Index first = b * size, count = std::min(size, m - first);
    m_selected.assign(m_order.begin() + first, m_order.begin() + first + count);
}

void NodeLoss::use_full_batch()
{
    std::iota(m_order.begin(), m_order.end(), Index(0));
    m_selected = m_order;
    m_forward_evaluations = m_backward_evaluations = 0;
}

void NodeLoss::initial_state(Index k, Eigen::Ref<Eigen::RowVectorXd, 0, Eigen::InnerStride<>> x0,
                             Eigen::Ref<Eigen::RowVectorXd, 0, Eigen::InnerStride<>> v0) const
{
    const Index i = m_data.times.first(k);
    x0 = m_data.states.row(i);
    if (!m_arch.second_order)
        return;
    if (m_data.velocities.size() > 0) {
        v0 = m_data.velocities.row(i);
    } else { // from the first two samples
        const double dt = m_data.times.t(i + 1) - m_data.times.t(i);
        v0 = (m_data.states.row(i + 1) - m_data.states.row(i)) / dt;
    }
}

double NodeLoss::block_loss(Index row0, Index rows, Vec& grad, bool with_gradient,
                            Mat* predictions)
{
    Block& b = *m_blocks[std::size_t(row0 / m_eval.block_rows())];
    const Vec& theta = *m_theta;
    const Index d = m_arch.data_dim();

    // The block's trajectories as one batch of rows.
    b.times.start.assign(1, 0);
    for (Index r = 0; r < rows; ++r)
        b.times.start.push_back(b.times.start.back() +
                                m_data.times.count(m_selected[std::size_t(row0 + r)]));
    const Index obs = b.times.start.back();
    b.times.t.resize(obs);
    b.targets.resize(obs, d);
    b.x0.resize(rows, d);
    b.v0.resize(rows, m_arch.second_order ? d : 0);
    for (Index r = 0; r < rows; ++r) {
        const Index k = m_selected[std::size_t(row0 + r)];
        const Index n = m_data.times.count(k), from = m_data.times.first(k), to = b.times.first(r);
        b.times.t.segment(to, n) = m_data.times.t.segment(from, n);
        b.targets.middleRows(to, n) = m_data.states.middleRows(from, n);
        initial_state(k, b.x0.row(r), b.v0.row(r));
    }

    // Messages name a trajectory by its traj in the data.
    const ode::RowLabel label = [this, row0](Index r) {
        const Index k = m_selected[std::size_t(row0 + r)];
        return "traj " + io::format_number(m_data.ids[std::size_t(k)]);
    };
    b.forward.label_rows(label);
    b.adjoint.label_rows(label);
    node_lift(m_arch, theta, b.x0, b.v0, b.y0);
    const bool backprop = with_gradient && m_params.gradient == ode::GradientMethod::backprop;
    b.forward.run(m_field, b.times, b.y0, b.states, backprop);
    b.forward_evaluations = b.forward.forward_evaluations();
    node_readout(m_arch, theta, b.states, b.p);
    if (predictions)
        for (Index r = 0; r < rows; ++r) {
            const Index k = m_selected[std::size_t(row0 + r)];
            predictions->middleRows(m_data.times.first(k), m_data.times.count(k)) =
                b.p.middleRows(b.times.first(r), b.times.count(r));
        }
    const double loss = (b.p - b.targets).squaredNorm();
    b.backward_evaluations = 0;
    if (!with_gradient)
        return loss;

    grad.setZero(m_arch.num_params());
    b.pbar = 2.0 * (b.p - b.targets);
    node_readout_backward(m_arch, theta, b.states, b.pbar, b.sbar, grad);
    const Index np = m_field.num_params();
    if (backprop) {
        b.forward.backward(m_field, b.times, b.sbar, b.y0bar, grad.head(np));
        b.backward_evaluations = b.forward.backward_evaluations();
    } else {
        b.adjoint.backward(m_field, b.times, b.states, b.sbar, b.y0bar, grad.head(np));
        b.backward_evaluations = b.adjoint.evaluations();
    }
    node_lift_backward(m_arch, b.x0, b.y0bar, grad);
    return loss;
}

double NodeLoss::evaluate_with_gradient(const Vec& theta, Vec& grad)
{
    m_field.set_params(theta);
    m_theta = &theta;
    const Index n = Index(m_selected.size());
    double norm = 0;
    for (Index k : m_selected)
        norm += m_params.relative
                    ? m_data.states.middleRows(m_data.times.first(k), m_data.times.count(k))
                          .squaredNorm()
                    : double(m_data.times.count(k) * m_arch.data_dim());
    if (!(norm > 0))
        throw DataError("--loss relative: the data are all zero", "");
    const nn::BlockFn fn = [&](ad::Tape&, Index row0, Index rows, Vec& g) {
        return block_loss(row0, rows, g, true, nullptr);
    };
    const double loss = m_eval.evaluate(n, m_arch.num_params(), fn, grad) / norm;
    grad /= norm;
    double forward = 0, backward = 0;
    for (Index b = 0; b < m_eval.blocks(n); ++b) {
        const Block& blk = *m_blocks[std::size_t(b)];
        forward += double(blk.forward_evaluations);
        backward += double(blk.backward_evaluations);
    }
    m_forward_evaluations += forward / double(n);
    m_backward_evaluations += backward / double(n);
    return loss;
}

void NodeLoss::predict(const Vec& theta, Mat& p)
{
    m_field.set_params(theta);
    m_theta = &theta;
    use_full_batch();
    p.resize(m_data.states.rows(), m_arch.data_dim());
    Vec unused;
    const nn::BlockFn fn = [&](ad::Tape&, Index row0, Index rows, Vec& g) {
        g.setZero(m_arch.num_params());
        return block_loss(row0, rows, g, false, &p);
    };
    m_eval.evaluate(m_data.trajectories(), m_arch.num_params(), fn, unused);
}

} // namespace flowkit::models
