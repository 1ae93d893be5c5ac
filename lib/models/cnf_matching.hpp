// Conditional flow matching (lecture notes "A recent improvement: Flow matching"; Lipman et
// al., "Flow matching guide and code", 2024): regress the velocity network on the velocity of
// a path from noise x0 ~ N(0, I) at t = 0 to a data point x1 at t = 1, with no ODE solve:
//     straight (CondOT):  x_t = (1 - t) x0 + t x1,                 u = x1 - x0
//     cosine:             x_t = cos(pi t / 2) x0 + sin(pi t / 2) x1, u = dx_t/dt
// The loss is the mean over the batch and the components of (F(t, x_t) - u)^2 (PyTorch's
// mse), with t ~ U[0, 1], x0 and the data points (drawn with replacement) fresh every step.
// In single precision the network and its gradient run in float (nn::SinglePrecisionMlp, as
// PyTorch's float32 training does); the loss is summed, and the parameters kept, in double.
#pragma once

#include "models/cnf_model.hpp"
#include "nn/batch.hpp"
#include "nn/objective.hpp"
#include "nn/single_precision_mlp.hpp"

#include <memory>
#include <string>
#include <vector>

namespace flowkit::models {

enum class MatchingPath
{
    straight,
    cosine
};
/// "straight", "cosine"; UsageError naming --fm-path otherwise.
MatchingPath parse_matching_path(const std::string& name);

/// x_t and u_t on the path for rows x0, x1 and times t.
void matching_target(MatchingPath path, const Mat& x0, const Mat& x1, const Vec& t, Mat& xt,
                     Mat& ut);

struct CnfMatchingParams
{
    MatchingPath path = MatchingPath::straight;
    Index batch = 256; ///< points per optimiser step
    nn::Precision precision = nn::Precision::double_precision;
    int threads = 1;
};

class CnfMatchingLoss : public nn::Objective
{
public:
    CnfMatchingLoss(const CnfArchitecture& arch, const Mat& data, CnfMatchingParams params);
    ~CnfMatchingLoss() override;

    double evaluate_with_gradient(const Vec& theta, Vec& grad) override;
    /// Fresh data points, noise and times.
    void shuffle(Rng& rng, long epoch) override;
    /// Every data point once, with noise and times from a fixed seed.
    void use_full_batch() override;

private:
    /// The network's inputs [x_t, t] and targets u for data rows `rows`, from rng.
    void draw(const std::vector<Index>& rows, Rng& rng);

    /// One block of rows: its inputs and targets, and the network's workspace (in the
    /// precision of the training: the other's matrices stay empty).
    struct Block
    {
        Mat inputs, targets, out;
        nn::MlpKernel::Workspace ws;
        MatF inputs_f, targets_f, out_f;
        nn::SinglePrecisionMlp::Workspace ws_f;
    };
    /// The block's squared residual and its gradient (added to g), in double or in float.
    double block_loss(Block& b, Vec& g);
    double block_loss_single(Block& b, Vec& g);

    const Mat& m_data;
    CnfMatchingParams m_params;
    nn::MlpKernel m_kernel;
    nn::SinglePrecisionMlp m_single;
    Index m_rows = 0;
    std::vector<Block> m_blocks;
    nn::BatchEvaluator m_eval;
};

} // namespace flowkit::models
