// Physics-informed networks (lecture notes "What is a PINN and how is it trained?", "Imposing
// the initial condition", "Forward invariant subset of the phase space"): N(t) for one IVP on
// [0, T], or the flow map N(t; x0) on [0, dt] x Omega. The initial condition is imposed exactly,
// N = x0 + (t / span) Ñ (hard) or N = x0 + Ñ(t) - Ñ(0) (hard-tfc), or by a penalty on
// Ñ(0) - x0 (soft).
#pragma once

#include "ad/tape.hpp"
#include "io/cli.hpp"
#include "io/model_json.hpp"
#include "nn/mlp.hpp"

#include <string>
#include <vector>

namespace flowkit::models {

enum class PinnMode
{
    ivp,     ///< N(t) on [0, T] for the one initial condition `ic`
    flow_map ///< N(t; x0) on [0, dt] x Omega
};

enum class IcMode
{
    hard,     ///< N = x0 + (t / span) Ñ(t, x0)
    hard_tfc, ///< N = x0 + Ñ(t, x0) - Ñ(0, x0) (theory of functional connections)
    soft      ///< N = Ñ(t, x0), with ic_weight * |Ñ(0, x0) - x0|^2 in the loss
};
/// "hard", "hard-tfc", "soft" -> mode; UsageError naming --ic-mode otherwise.
IcMode parse_ic_mode(const std::string& name);
std::string to_string(IcMode mode);

/// Everything needed to rebuild a PINN (the model file's "architecture").
struct PinnArchitecture
{
    PinnMode mode = PinnMode::ivp;
    std::vector<std::string> state_names;
    Vec ic;                          ///< ivp: x0
    double span = 1;                 ///< ivp: T; flow map: dt
    std::vector<io::Range> domain;   ///< flow map: Omega, one range per state, in state order
    std::vector<io::Range> param_domain; ///< parametric: system parameters that are inputs
    IcMode ic_mode = IcMode::hard;
    std::vector<Index> hidden = {50, 50};
    nn::Activation activation = nn::Activation::Tanh;

    Index dim() const { return Index(state_names.size()); }
    Index num_inputs_params() const { return Index(param_domain.size()); }
    /// The names of param_domain, in order.
    std::vector<std::string> param_names() const;
    /// (t), (t, x0), (t, k) or (t, x0, k).
    Index input_dim() const
    {
        return 1 + (mode == PinnMode::ivp ? 0 : dim()) + num_inputs_params();
    }
    /// UsageError naming the option: span > 0, ic and domain sizes, widths.
    void check() const;
};

class Pinn
{
public:
    using Id = ad::Tape::Id;

    /// Checks the architecture.
    explicit Pinn(PinnArchitecture arch);

    const PinnArchitecture& arch() const { return m_arch; }
    const nn::Mlp& net() const { return m_net; }
    Index num_params() const { return m_net.num_params(); }

    /// The nodes of a batch of rows (t_i, x0_i).
    struct Nodes
    {
        Id N = -1;    ///< N(t, x0), n x dim
        Id dNdt = -1; ///< d/dt N(t, x0), n x dim
        Id N0 = -1;   ///< soft mode: Ñ(0, x0), n x dim (1 x dim for a non-parametric ivp)
    };
    /// Builds N and dN/dt on the tape for times t (n), initial states x0 (n x dim; ignored,
    /// may be empty, for an ivp) and parameter values k (n x the parameters of param_domain;
    /// empty unless parametric). The network sees t scaled to [-1, 1] over [0, span], x0 and k
    /// scaled to [-1, 1] over their boxes.
    Nodes build(ad::Tape& tape, const std::vector<Id>& params, const Vec& t, const Mat& x0,
                const Mat& k = Mat()) const;

    /// N(t, x0; k) without gradients, out n x dim (resized); x0 and k as for build.
    void evaluate(const Vec& theta, const Vec& t, const Mat& x0, Mat& out,
                  const Mat& k = Mat()) const;

    /// The model file's "architecture", and back (DataError naming the key and file).
    io::Json architecture_json() const;
    static PinnArchitecture architecture_from_json(const io::Model& model);

private:
    PinnArchitecture m_arch;
    nn::Mlp m_net;
    /// (v - mid) / half-width, column by column: the box [lo, hi] onto [-1, 1].
    static Mat scaled(const Mat& v, const std::vector<io::Range>& box);
};

std::string to_string(PinnMode mode);

} // namespace flowkit::models
