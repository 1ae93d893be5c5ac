#include "models/cnf_matching.hpp"

#include "core/error.hpp"
#include "models/cnf_flow.hpp"

#include <cmath>
#include <algorithm>
#include <numeric>

namespace flowkit::models {

MatchingPath parse_matching_path(const std::string& name)
{
    if (name == "straight")
        return MatchingPath::straight;
    if (name == "cosine")
        return MatchingPath::cosine;
    throw UsageError("--fm-path must be straight or cosine (got '" + name + "')");
}

void matching_target(MatchingPath path, const Mat& x0, const Mat& x1, const Vec& t, Mat& xt,
                     Mat& ut)
{
    if (path == MatchingPath::straight) {
        xt = x0 + t.asDiagonal() * (x1 - x0);
        ut = x1 - x0;
        return;
    }
    const double w = 0.5 * M_PI;
    const Vec c = (w * t).array().cos(), s = (w * t).array().sin();
    xt = c.asDiagonal() * x0 + s.asDiagonal() * x1;
    ut = w * (c.asDiagonal() * x1 - s.asDiagonal() * x0);
}

CnfMatchingLoss::CnfMatchingLoss(const CnfArchitecture& arch, const Mat& data,
                                 CnfMatchingParams params)
    : m_data(data), m_params(params),
      m_kernel(arch.network(), Vec::Zero(arch.network().num_params())),
      m_single(arch.network(), Vec::Zero(arch.network().num_params())),
      m_eval(params.threads, cnf_block_rows)
{
    require_option(m_params.batch >= 1, "--batch", ">= 1", double(m_params.batch));
    if (data.cols() != arch.dim() || data.rows() == 0)
        throw std::invalid_argument("CnfMatchingLoss: no data, or not of the model's dimension");
    Rng rng(0);
    shuffle(rng, 0);
}

CnfMatchingLoss::~CnfMatchingLoss() = default;

void CnfMatchingLoss::draw(const std::vector<Index>& rows, Rng& rng)
{
    const Index n = Index(rows.size()), d = m_data.cols();
    Mat x0(n, d), x1(n, d), xt, ut;
    Vec t(n);
    for (Index i = 0; i < n; ++i) { // point by point, so that a point's draw does not depend on n
        x1.row(i) = m_data.row(rows[std::size_t(i)]);
        for (Index j = 0; j < d; ++j)
            x0(i, j) = rng.normal();
        t(i) = rng.uniform();
    }
    matching_target(m_params.path, x0, x1, t, xt, ut);
    m_rows = n;
    m_blocks.resize(std::size_t(m_eval.blocks(n)));
    for (Index b = 0; b < Index(m_blocks.size()); ++b) {
        const Index row0 = b * cnf_block_rows, rows = std::min(cnf_block_rows, n - row0);
        Block& blk = m_blocks[std::size_t(b)];
        blk.inputs.resize(rows, d + 1);
        blk.inputs << xt.middleRows(row0, rows), t.segment(row0, rows);
        blk.targets = ut.middleRows(row0, rows);
        if (m_params.precision == nn::Precision::single_precision) {
            blk.inputs_f = blk.inputs.cast<float>();
            blk.targets_f = blk.targets.cast<float>();
        }
    }
}

void CnfMatchingLoss::shuffle(Rng& rng, long)
{
    std::vector<Index> rows(std::size_t(m_params.batch));
    const auto n = std::uint64_t(m_data.rows());
    for (Index& i : rows)
        i = Index(rng.next_u64() % n);
    draw(rows, rng);
}

void CnfMatchingLoss::use_full_batch()
{
    std::vector<Index> rows(std::size_t(m_data.rows()));
    std::iota(rows.begin(), rows.end(), Index(0));
    Rng rng(0);
    draw(rows, rng);
}

double CnfMatchingLoss::block_loss(Block& b, Vec& g)
{
    m_kernel.forward(b.inputs, b.ws, b.out);
    b.out -= b.targets; // the residual; its gradient is twice it
    const double loss = b.out.squaredNorm();
    b.out *= 2.0;
    m_kernel.backward(b.out, nullptr, b.ws, nullptr, g);
    return loss;
}

double CnfMatchingLoss::block_loss_single(Block& b, Vec& g)
{
    m_single.forward(b.inputs_f, b.ws_f, b.out_f);
    b.out_f -= b.targets_f;
    const double loss = b.out_f.cast<double>().squaredNorm();
    b.out_f *= 2.0f;
    m_single.backward(b.out_f, nullptr, b.ws_f, nullptr, g);
    return loss;
}

double CnfMatchingLoss::evaluate_with_gradient(const Vec& theta, Vec& grad)
{
    const bool single = m_params.precision == nn::Precision::single_precision;
    if (single)
        m_single.set_params(theta);
    else
        m_kernel.set_params(theta);
    const nn::BlockFn fn = [&](ad::Tape&, Index row0, Index, Vec& g) {
        Block& b = m_blocks[std::size_t(row0 / cnf_block_rows)];
        g.setZero(theta.size());
        return single ? block_loss_single(b, g) : block_loss(b, g);
    };
    const double scale = 1.0 / double(m_rows * m_data.cols());
    const double loss = m_eval.evaluate(m_rows, theta.size(), fn, grad) * scale;
    grad *= scale;
    return loss;
}

} // namespace flowkit::models
