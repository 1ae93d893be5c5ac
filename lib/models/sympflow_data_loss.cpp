#include "models/sympflow_data_loss.hpp"

#include "core/error.hpp"

#include <numeric>

namespace flowkit::models {

SympflowDataLoss::SympflowDataLoss(const Sympflow& net, FlowSamples samples, Index batch_size,
                                   int threads)
    : m_net(net), m_samples(std::move(samples)), m_batch_size(batch_size), m_eval(threads, 128)
{
    require_option(batch_size >= 1, "--batch-size", ">= 1", double(batch_size));
    if (m_samples.x0.cols() != net.arch().dim())
        throw UsageError("the data has " + std::to_string(m_samples.x0.cols()) +
                         " state columns, the network " + std::to_string(net.arch().dim()));
    m_order.resize(std::size_t(m_samples.s.size()));
    std::iota(m_order.begin(), m_order.end(), Index(0));
    select_batch(0);
}

Index SympflowDataLoss::num_batches() const
{
    const Index m = m_samples.s.size();
    return m_full ? 1 : (m + m_batch_size - 1) / m_batch_size;
}

void SympflowDataLoss::shuffle(Rng& rng, long)
{
    m_full = false;
    std::iota(m_order.begin(), m_order.end(), Index(0));
    for (std::size_t i = m_order.size(); i > 1; --i)
        std::swap(m_order[i - 1], m_order[rng.next_u64() % i]);
}

void SympflowDataLoss::select_batch(Index b)
{
    const Index m = m_samples.s.size();
    const Index first = m_full ? 0 : b * m_batch_size;
    const Index count = m_full ? m : std::min(m_batch_size, m - first);
    m_x0.resize(count, m_samples.x0.cols());
    m_y.resize(count, m_samples.y.cols());
    m_s.resize(count);
    for (Index k = 0; k < count; ++k) {
        const Index i = m_order[std::size_t(first + k)];
        m_x0.row(k) = m_samples.x0.row(i);
        m_y.row(k) = m_samples.y.row(i);
        m_s(k) = m_samples.s(i);
    }
}

void SympflowDataLoss::use_full_batch()
{
    if (m_full)
        return;
    m_full = true;
    std::iota(m_order.begin(), m_order.end(), Index(0));
    select_batch(0);
}

double SympflowDataLoss::evaluate_with_gradient(const Vec& theta, Vec& grad)
{
    const Sympflow& net = m_net;
    const nn::BlockFn block = [&](ad::Tape& tape, Index row0, Index rows, Vec& g) {
        std::vector<std::vector<ad::Tape::Id>> ids;
        net.put_params(tape, theta, ids);
        const ad::Tape::Id N =
            net.flow(tape, ids, m_s.segment(row0, rows), tape.input(m_x0.middleRows(row0, rows)));
        const ad::Tape::Id L =
            tape.sum(tape.square(tape.sub(N, tape.input(m_y.middleRows(row0, rows)))));
        tape.backward(L);
        net.gather_gradient(tape, ids, g);
        return tape.value(L)(0, 0);
    };
    const double scale = 1.0 / double(m_s.size() * net.arch().dim());
    const double sum = m_eval.evaluate(m_s.size(), net.num_params(), block, grad);
    grad *= scale;
    return sum * scale;
}

} // namespace flowkit::models
