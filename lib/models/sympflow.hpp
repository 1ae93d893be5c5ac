// Symplectic neural flows (lecture notes "PINNs for Hamiltonian ODEs: Symplectic Neural Flows";
// Canizares, Murari, Schönlieb, Sherry, Shumaylov, arXiv 2412.16787; ../shared/reference/
// sympflow-facts.md). For i = 1..L:
//   p <- p - (grad_q V_i(t, q) - grad_q V_i(0, q)),  then  q <- q + (grad_p K_i(t, p) - grad_p K_i(0, p))
// with the updated p: each map is the exact time-t flow of a Hamiltonian, so N(0, x) = x and N(t, .)
// is symplectic for every t. V_i, K_i are MLPs on [q; t] and [p; t] with a scalar output.
#pragma once

#include "ad/tape.hpp"
#include "io/cli.hpp"
#include "io/model_json.hpp"
#include "nn/mlp.hpp"

#include <string>
#include <vector>

namespace flowkit::models {

struct SympflowArchitecture
{
    std::vector<std::string> state_names; ///< q1..qn, p1..pn
    double dt = 1;                        ///< the flow is trained on [0, dt]
    std::vector<io::Range> domain;        ///< Omega, one range per state variable, in state order
    Index layers = 3;                     ///< pairs of maps (V_i, K_i)
    std::vector<Index> hidden = {10, 10}; ///< of every potential
    nn::Activation activation = nn::Activation::Tanh;

    Index dim() const { return Index(state_names.size()); }
    Index half() const { return dim() / 2; }
    /// UsageError naming the option: an even dimension, dt > 0, a range per state, L >= 1.
    void check() const;
};

class Sympflow
{
public:
    using Id = ad::Tape::Id;

    explicit Sympflow(SympflowArchitecture arch);

    const SympflowArchitecture& arch() const { return m_arch; }
    /// One potential's network, (n + 1) -> hidden -> 1.
    const nn::Mlp& potential() const { return m_potential; }
    /// theta = V_1, K_1, V_2, K_2, ..., V_L, K_L (each potential's parameters in Mlp order), then
    /// the learned Hamiltonian's constant h0.
    Index num_params() const { return 2 * m_arch.layers * m_potential.num_params() + 1; }

    /// Every potential's parameters on the tape (ids[2i] = V_{i+1}, ids[2i+1] = K_{i+1}).
    void put_params(ad::Tape& tape, const Vec& theta, std::vector<std::vector<Id>>& ids) const;
    /// The gradient in theta's layout after tape.backward() (h0's entry is 0: it does not enter N).
    void gather_gradient(const ad::Tape& tape, const std::vector<std::vector<Id>>& ids,
                         Vec& grad) const;

    struct Nodes
    {
        Id N = -1;    ///< N(t, x0), n_rows x dim
        Id dNdt = -1; ///< the total time derivative through every layer
    };
    /// N and dN/dt for rows (t_i, x0_i): through layer i, with q', p' the tangents so far,
    ///   p' <- p' - [Hess V_i(t, q) (q', 1) - Hess V_i(0, q) (q', 0)]_q, likewise for K_i.
    Nodes build(ad::Tape& tape, const std::vector<std::vector<Id>>& ids, const Vec& t,
                const Mat& x0) const;
    /// N(t, x0) only (no tangents).
    Id flow(ad::Tape& tape, const std::vector<std::vector<Id>>& ids, const Vec& t, Id x0) const;

    /// N(t, x0) without gradients, out n_rows x dim (resized).
    void evaluate(const Vec& theta, const Vec& t, const Mat& x0, Mat& out) const;

    /// The network's own Hamiltonian H_N(t, x), n_rows x 1: N(t, .) is the time-t flow of H_N
    /// (dN/dt = J grad_x H_N(t, N)). Peeling the layers outermost first, for i = L..1:
    ///   H += d_t K_i(t, p); q <- q - (grad_p K_i(t, p) - grad_p K_i(0, p));
    ///   H += d_t V_i(t, q); p <- p + (grad_q V_i(t, q) - grad_q V_i(0, q));
    /// then H += tanh(h0). x is a node (so its gradient can be asked for); h0 is theta's last
    /// entry as a 1 x 1 node.
    Id hamiltonian(ad::Tape& tape, const std::vector<std::vector<Id>>& ids, Id h0, const Vec& t,
                   Id x) const;
    /// H_N(t, x) without gradients, one entry per row of x.
    void evaluate_hamiltonian(const Vec& theta, const Vec& t, const Mat& x, Vec& out) const;

    /// The model file's "architecture", and back (DataError naming the key and file).
    io::Json architecture_json() const;
    static SympflowArchitecture architecture_from_json(const io::Model& model);

private:
    SympflowArchitecture m_arch;
    nn::Mlp m_potential;
};

} // namespace flowkit::models
