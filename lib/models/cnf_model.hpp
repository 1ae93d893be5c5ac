// A continuous normalising flow (lecture notes "Continuous normalising flows"; CLI.md
// "cnf-sample"): x = phi_1(z) with z ~ N(0, I) and phi the flow of x' = F_theta(t, x) on
// t in [0, 1], F an MLP on [x, t]. Its log-density comes from the ODE
//     d/dt log p_t(x(t)) = -div F(t, x(t))
// along the trajectory through x (DESIGN.md's correction to the notes): carrying l' = div F
// with l(1) = 0 from x at t = 1 back to z at t = 0 gives log p_1(x) = log N(z; 0, I) + l(0).
//
// theta: the MLP's parameters (nn::Mlp layout; inputs x1..xd, then t).
#pragma once

#include "core/rng.hpp"
#include "io/model_json.hpp"
#include "models/node_model.hpp"
#include "nn/mlp_divergence.hpp"
#include "nn/mlp_kernel.hpp"
#include "ode/parametric_system.hpp"

#include <optional>
#include <string>
#include <vector>

namespace flowkit::models {

struct CnfArchitecture
{
    std::vector<std::string> state_names;
    std::vector<Index> hidden = {64, 64};
    nn::Activation activation = nn::Activation::Tanh;

    Index dim() const { return Index(state_names.size()); }
    /// The velocity field as a time-dependent Neural ODE field (input [x, t]).
    NodeArchitecture velocity() const;
    nn::Mlp network() const { return velocity().network(); }
    /// UsageError naming the option.
    void check() const;

    io::Json json() const;
    /// DataError naming the key and file.
    static CnfArchitecture from_json(const io::Model& model);
};

/// How div F is computed: exactly (d tangent passes) or by Hutchinson's estimator.
enum class TraceEstimator
{
    exact,
    hutchinson
};
/// "exact", "hutchinson"; UsageError naming --trace otherwise.
TraceEstimator parse_trace_estimator(const std::string& name);

/// Hutchinson's probe distribution: both have E[p p^T] = I.
enum class ProbeDistribution
{
    rademacher, ///< entries +-1
    gaussian
};
/// "rademacher", "gaussian"; UsageError naming --probe otherwise.
ProbeDistribution parse_probe_distribution(const std::string& name);
/// n x d probes from rng.
void draw_probes(ProbeDistribution kind, Index n, Index d, Rng& rng, Mat& probes);

/// log N(z; 0, I) row by row.
Vec standard_normal_log_density(const Mat& z);

/// The flow and its log-density change as one ODE in [x, l] (exact trace) or [x, l, p]
/// (Hutchinson, the probe p carried as a constant of the motion, so that it stays fixed through
/// the whole solve whichever rows the solver evaluates together): x' = F(t, x), l' = div F,
/// p' = 0. Its derivatives hold the probe fixed (the estimate is differentiated for its drawn
/// probe); their probe columns are zero. Safe to call from several threads at once.
class CnfDensityField : public ode::ParametricSystem
{
public:
    CnfDensityField(const CnfArchitecture& arch, const Vec& theta, TraceEstimator trace);
    CnfDensityField(const CnfDensityField&) = delete;
    CnfDensityField& operator=(const CnfDensityField&) = delete;

    void set_params(const Vec& theta);
    /// From now on rhs() and the VJPs compute the network, its divergence and their gradients
    /// in float (nn::SinglePrecisionMlpDivergence); the state and jvp() stay in double.
    void use_single_precision();
    TraceEstimator trace() const { return m_trace; }
    /// The data's dimension d (the ODE has d + 1, or 2 d + 1 with probes).
    Index data_dim() const { return m_divergence.dim(); }

    bool autonomous() const override { return false; }
    nlohmann::ordered_json describe() const override;
    Index num_params() const override { return m_kernel.net().num_params(); }

    void rhs(const Vec& t, const Mat& x, Mat& f) const override;
    void jvp(const Vec& t, const Mat& x, const Mat& v, Mat& out) const override;
    void vjp(const Vec& t, const Mat& x, const Mat& a, Mat& out) const override;
    void vjp_params(const Vec& t, const Mat& x, const Mat& a, const Vec* w, Mat* f, Mat& xbar,
                    Eigen::Ref<Vec> grad) const override;

private:
    struct Scratch;
    static Scratch& scratch();

    TraceEstimator m_trace;
    nn::MlpKernel m_kernel;
    nn::MlpDivergence m_divergence; // reads m_kernel's weights
    std::optional<nn::SinglePrecisionMlpDivergence> m_single; // when set: rhs() and the VJPs
};

} // namespace flowkit::models
