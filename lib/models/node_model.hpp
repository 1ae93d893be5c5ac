// A Neural ODE (lecture notes "Neural ODEs"): x0 -> y(0) = A x0 + a, y' = F_theta(t, y),
// read-out B y + b (CLI.md "node-fit"). F is an MLP on [y] or [y, t]; with --augment K, y has
// K more components than x and A, a, B, b are trained (they start as the identity and zero);
// with --second-order, y = (x, v) and F = (v, N(x, v)).
//
// theta: the MLP's parameters (nn::Mlp layout), then, with --augment, A (h x d, row-major),
// a (h), B (d x h, row-major), b (d), for d data and h = d + K ODE dimensions.
#pragma once

#include "io/model_json.hpp"
#include "nn/mlp.hpp"
#include "nn/mlp_kernel.hpp"
#include "nn/shallow_tanh_kernel.hpp"
#include "nn/single_precision_mlp.hpp"
#include "ode/parametric_system.hpp"

#include <optional>
#include <string>
#include <vector>

namespace flowkit::models {

struct NodeArchitecture
{
    std::vector<std::string> state_names;    ///< the data's state columns
    std::vector<std::string> velocity_names; ///< --second-order: the velocities' names
    std::vector<Index> hidden = {32};
    nn::Activation activation = nn::Activation::Tanh;
    bool time_dependent = false; ///< F(t, y): t is absolute time
    Index augment = 0;           ///< K extra dimensions
    bool second_order = false;

    Index data_dim() const { return Index(state_names.size()); }
    /// The ODE's dimension: d + K, or 2 d for a second-order model.
    Index ode_dim() const;
    /// The ODE's variable names: the state, then aug1..augK or the velocities.
    std::vector<std::string> ode_names() const;
    nn::Mlp network() const;
    /// The MLP's parameters plus A, a, B, b.
    Index num_params() const;
    /// UsageError naming the option.
    void check() const;

    io::Json json() const;
    /// DataError naming the key and file.
    static NodeArchitecture from_json(const io::Model& model);
};

/// theta's MLP part for the network, A, a, B, b as the identity and zeros.
Vec initial_node_params(const NodeArchitecture& arch, const Vec& network_params);

/// The learned vector field as a System: evaluated in closed form (nn::MlpKernel, or
/// nn::ShallowTanhKernel for a network it fits, node-fit's default among them), safe to call
/// from several threads at once.
class NeuralField : public ode::ParametricSystem
{
public:
    NeuralField(NodeArchitecture arch, const Vec& theta);
    void set_params(const Vec& theta);
    const NodeArchitecture& arch() const { return m_arch; }
    /// From now on rhs() and the VJPs compute the network in single precision
    /// (nn::SinglePrecisionMlp, relative error about 1e-7), for sampling and for training;
    /// jvp() stays in double. set_params() keeps the precision.
    void use_single_precision();

    bool autonomous() const override { return !m_arch.time_dependent; }
    nlohmann::ordered_json describe() const override;
    /// The network's parameters only (the read-in and read-out are not part of the ODE).
    Index num_params() const override { return m_kernel.net().num_params(); }

    void rhs(const Vec& t, const Mat& x, Mat& f) const override;
    void jvp(const Vec& t, const Mat& x, const Mat& v, Mat& out) const override;
    void vjp(const Vec& t, const Mat& x, const Mat& a, Mat& out) const override;
    void vjp_params(const Vec& t, const Mat& x, const Mat& a, const Vec* w, Mat* f, Mat& xbar,
                    Eigen::Ref<Vec> grad) const override;
private:
    struct Scratch;
    static Scratch& scratch();
    /// The network's input [y, t] or [x, v, t], in double (Mat) or float (MatF).
    template <class Matrix>
    void input(const Vec& t, const Mat& x, Matrix& in) const;
    /// What forward() computes: the network's value (into s.out), what its reverse pass and
    /// tangent need, or both.
    enum class Pass
    {
        value,
        reverse,
        both
    };
    /// The network's forward pass on its input: x itself, or [x, t] in s.in when the field
    /// depends on time (in single precision: m_single's, its input and output in float in
    /// s.in_f and s.out_f, the value also in s.out).
    void forward(const Vec& t, const Mat& x, Scratch& s, Pass pass, bool single) const;
    /// F from s.out (which it may take over).
    void field_value(const Mat& x, Scratch& s, Mat& f) const;
    /// The reverse pass after forward(): xbar and the parameter gradient.
    void backward(const Mat& a, const Vec* w, Scratch& s, Mat& xbar, Eigen::Ref<Vec> grad) const;
    /// vjp_params through the shallow kernels.
    void shallow_vjp(const Vec& t, const Mat& x, const Mat& a, const Vec* w, Mat* f, Mat& xbar,
                     Eigen::Ref<Vec> grad) const;
    /// The network's cotangent from a: a itself, or its velocity part (in s.v) for a
    /// second-order field.
    const Mat& network_cotangent(const Mat& a, Scratch& s) const;
    /// For the float kernels: the network's cotangent in s.abar_f, and the row weights in
    /// s.w_f (returned; null without weights).
    const VecF* float_cotangent(const Mat& a, const Vec* w, Scratch& s) const;
    /// xbar from the network's input adjoint in s.g (which it may take over): its state part,
    /// plus a's position part for a second-order field.
    void input_adjoint(const Mat& a, Scratch& s, Mat& xbar) const;

    NodeArchitecture m_arch;
    nn::MlpKernel m_kernel;
    std::optional<nn::SinglePrecisionMlp> m_single; // rhs()'s network, when set
    // The same networks a chunk of rows at a time, when they are in -> h -> out with tanh
    // (nn::ShallowTanhKernel): rhs() and the VJPs go through them; jvp() through m_kernel.
    std::optional<nn::ShallowTanhKernel> m_shallow;
    std::optional<nn::SinglePrecisionShallowTanhKernel> m_shallow_single;
};

/// y(0) = A x0 + a (n x h) and back: the gradients of A, a into grad (theta's layout) from
/// ybar, n x h. Without augmentation y = x0 (second order: (x0, v0), v0 given).
void node_lift(const NodeArchitecture& arch, const Vec& theta, const Mat& x0, const Mat& v0,
               Mat& y0);
void node_lift_backward(const NodeArchitecture& arch, const Mat& x0, const Mat& ybar,
                        Eigen::Ref<Vec> grad);
/// The prediction B y + b (n x d) and back: pbar -> ybar (n x h), B and b into grad.
void node_readout(const NodeArchitecture& arch, const Vec& theta, const Mat& y, Mat& p);
void node_readout_backward(const NodeArchitecture& arch, const Vec& theta, const Mat& y,
                           const Mat& pbar, Mat& ybar, Eigen::Ref<Vec> grad);

} // namespace flowkit::models
