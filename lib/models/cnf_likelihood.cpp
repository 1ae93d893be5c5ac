#include "models/cnf_likelihood.hpp"

#include "core/error.hpp"
#include "models/cnf_flow.hpp"

#include <algorithm>
#include <numeric>

namespace flowkit::models {

struct CnfLikelihoodLoss::Block
{
    explicit Block(const CnfLikelihoodParams& p) : forward(p.solver), adjoint(p.adjoint) {}

    ode::ForwardSolve forward;
    ode::ContinuousAdjoint adjoint;
    Mat x0, states, states_grad, x0_grad, z;
    long forward_evaluations = 0, backward_evaluations = 0;
};

CnfLikelihoodLoss::CnfLikelihoodLoss(const CnfArchitecture& arch, const Mat& data,
                                     CnfLikelihoodParams params)
    : m_data(data), m_params(std::move(params)),
      m_field(arch, Vec::Zero(arch.network().num_params()), m_params.trace),
      m_eval(m_params.threads, cnf_block_rows)
{
    m_params.solver.check();
    m_params.adjoint.check("adjoint-");
    require_option(m_params.batch >= 1, "--batch", ">= 1", double(m_params.batch));
    if (data.cols() != arch.dim() || data.rows() == 0)
        throw std::invalid_argument("CnfLikelihoodLoss: no data, or not of the model's dimension");
    if (m_params.precision == nn::Precision::single_precision)
        m_field.use_single_precision();
    Rng rng(0);
    shuffle(rng, 0);
}

CnfLikelihoodLoss::~CnfLikelihoodLoss() = default;

void CnfLikelihoodLoss::shuffle(Rng& rng, long)
{
    m_selected.resize(std::size_t(m_params.batch));
    const auto n = std::uint64_t(m_data.rows());
    for (Index& i : m_selected)
        i = Index(rng.next_u64() % n);
    if (m_params.trace == TraceEstimator::hutchinson)
        draw_probes(m_params.probe, m_params.batch, m_data.cols(), rng, m_probes);
}

void CnfLikelihoodLoss::use_full_batch()
{
    m_selected.resize(std::size_t(m_data.rows()));
    std::iota(m_selected.begin(), m_selected.end(), Index(0));
    if (m_params.trace == TraceEstimator::hutchinson) {
        Rng rng(0);
        draw_probes(m_params.probe, m_data.rows(), m_data.cols(), rng, m_probes);
    }
}

double CnfLikelihoodLoss::block_loss(Index row0, Index rows, Vec& grad)
{
    Block& b = *m_blocks[std::size_t(row0 / cnf_block_rows)];
    const Index d = m_data.cols();
    b.x0.setZero(rows, m_field.dim());
    for (Index r = 0; r < rows; ++r)
        b.x0.row(r).head(d) = m_data.row(m_selected[std::size_t(row0 + r)]);
    if (m_params.trace == TraceEstimator::hutchinson)
        b.x0.rightCols(d) = m_probes.middleRows(row0, rows);

    const ode::ObservationTimes times = shared_times(rows, Vec::LinSpaced(2, 1.0, 0.0));
    const ode::RowLabel label = [this, row0](Index r) {
        return "data row " + std::to_string(m_selected[std::size_t(row0 + r)] + 1);
    };
    b.forward.label_rows(label);
    b.adjoint.label_rows(label);
    const bool backprop = m_params.gradient == ode::GradientMethod::backprop;
    b.forward.run(m_field, times, b.x0, b.states, backprop);
    b.forward_evaluations = b.forward.forward_evaluations();

    // -log p = -log N(z) - l(0): its gradient at t = 0 is (z, -1, 0).
    b.z.resize(rows, d);
    b.states_grad.setZero(2 * rows, m_field.dim());
    double loss = 0;
    for (Index r = 0; r < rows; ++r)
        b.z.row(r) = b.states.row(2 * r + 1).head(d);
    const Vec log_n = standard_normal_log_density(b.z);
    for (Index r = 0; r < rows; ++r) {
        loss -= log_n(r) + b.states(2 * r + 1, d);
        b.states_grad.row(2 * r + 1).head(d) = b.z.row(r);
        b.states_grad(2 * r + 1, d) = -1.0;
    }

    grad.setZero(m_field.num_params());
    if (backprop) {
        b.forward.backward(m_field, times, b.states_grad, b.x0_grad, grad);
        b.backward_evaluations = b.forward.backward_evaluations();
    } else {
        b.adjoint.backward(m_field, times, b.states, b.states_grad, b.x0_grad, grad);
        b.backward_evaluations = b.adjoint.evaluations();
    }
    return loss;
}

double CnfLikelihoodLoss::evaluate_with_gradient(const Vec& theta, Vec& grad)
{
    m_field.set_params(theta);
    const Index n = Index(m_selected.size()), blocks = m_eval.blocks(n);
    while (Index(m_blocks.size()) < blocks)
        m_blocks.push_back(std::make_unique<Block>(m_params));
    const nn::BlockFn fn = [&](ad::Tape&, Index row0, Index rows, Vec& g) {
        return block_loss(row0, rows, g);
    };
    const double loss = m_eval.evaluate(n, m_field.num_params(), fn, grad) / double(n);
    grad /= double(n);
    double forward = 0, backward = 0;
    for (Index b = 0; b < blocks; ++b) {
        forward += double(m_blocks[std::size_t(b)]->forward_evaluations);
        backward += double(m_blocks[std::size_t(b)]->backward_evaluations);
    }
    m_forward_evaluations = forward / double(n);
    m_backward_evaluations = backward / double(n);
    return loss;
}

} // namespace flowkit::models
