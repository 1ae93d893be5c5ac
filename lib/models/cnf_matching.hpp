// Conditional flow matching (lecture notes "A recent improvement: Flow matching"; Lipman et
// al., "Flow matching guide and code", 2024): regress the velocity network on the velocity of
// a path from noise x0 ~ N(0, I) at t = 0 to a data point x1 at t = 1, with no ODE solve:
//     straight (CondOT):  x_t = (1 - t) x0 + t x1,                 u = x1 - x0
//     cosine:             x_t = cos(pi t / 2) x0 + sin(pi t / 2) x1, u = dx_t/dt
// The loss is the mean over the batch and the components of (F(t, x_t) - u)^2 (PyTorch's
// mse), with t ~ U[0, 1], x0 and the data points (drawn with replacement) fresh every step.
#pragma once

#include "models/cnf_model.hpp"
#include "nn/batch.hpp"
#include "nn/objective.hpp"

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

    /// One block of rows: its inputs and targets, and the kernel's workspace.
    struct Block
    {
        Mat inputs, targets, out;
        nn::MlpKernel::Workspace ws;
    };

    const Mat& m_data;
    CnfMatchingParams m_params;
    nn::MlpKernel m_kernel;
    Index m_rows = 0;
    std::vector<Block> m_blocks;
    nn::BatchEvaluator m_eval;
};

} // namespace flowkit::models
