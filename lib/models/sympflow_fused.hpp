// The SympFlow residual sum_rows |dN/dt - F(t, N)|^2 and its weight gradient in closed form
// (DESIGN.md "Derivatives": a fused SympFlow layer in place of the tape, checked against it).
// The tape builds thousands of tiny nodes per block; here every potential is evaluated at t and
// at 0 as one stacked batch, and the reverse pass is written out by hand (sympflow_fused.cpp).
#pragma once

#include "core/eigen.hpp"
#include "models/sympflow.hpp"
#include "ode/system.hpp"

#include <vector>

namespace flowkit::models {

/// Workspace and code for the fused residual of one Sympflow net. Not thread-safe: one kernel
/// per concurrent caller. Repeated calls with the same number of rows allocate nothing of
/// their own (the System's rhs and vjp may).
class SympflowResidualKernel
{
public:
    /// True if the kernel handles the net: tanh hidden layers, at least one of them.
    static bool supports(const Sympflow& net);

    /// std::invalid_argument unless supports(net). net must outlive the kernel.
    explicit SympflowResidualKernel(const Sympflow& net);

    /// S = sum_r |dN/dt(t_r, x0_r) - F(t_r, N(t_r, x0_r))|^2 (summed over components) for the
    /// rows r of (t, x0), x0 rows x dim; into *grad (resized to net.num_params(), h0's entry 0)
    /// dS/dtheta unless grad is null. system must have the net's dimension.
    double residual(const ode::System& system, const Vec& theta, const Eigen::Ref<const Vec>& t,
                    const Eigen::Ref<const Mat>& x0, Vec* grad);

    /// N(t, x0) and dN/dt, rows x dim (resized), by the same forward pass.
    void flow(const Vec& theta, const Eigen::Ref<const Vec>& t, const Eigen::Ref<const Mat>& x0,
              Mat& N, Mat& dNdt);

    /// Rows the workspace was last shaped for (0 before the first call).
    Index rows() const { return m_rows; }

private:
    // One potential's forward pass at s = t (rows [0, m)) and s = 0 (rows [m, 2m)), stacked; per
    // hidden layer l: tau = tanh(Z_l), P = Z'_l (the tangent), D, Dp (the input gradient's and
    // its tangent's back-propagated rows), B, Bp (D, Dp of layer l + 1 times W_{l+1}; unused for
    // the last hidden layer, where B = w and Bp = 0), T = s1 .* P (unused for the last hidden
    // layer). s1 = tanh'(Z_l) = 1 - tau^2 is not stored: recomputing it costs less than a pass
    // over memory.
    struct Layer
    {
        Mat tau, P, D, Dp, B, Bp, T;
    };
    struct Step
    {
        Mat y, dy; // the coordinate the potential reads (q for V, p for K) and its tangent
        std::vector<Layer> layers;
    };

    void shape(Index m);
    /// Copies t into m_t (the System takes a Vec) and fills every Step, m_N and m_dN.
    void forward(const Vec& theta, const Eigen::Ref<const Vec>& t, const Eigen::Ref<const Mat>& x0);
    /// Step k's potential: writes g = grad_y U(t, y) - grad_y U(0, y) and
    /// hv = [Hess U(t, y)(dy, 1) - Hess U(0, y)(dy, 0)]_y into m_g, m_hv.
    void potential_forward(const Vec& theta, Index k, const Vec& t, Step& st);
    /// Given gbar = dS/dg and hbar = dS/dhv (m_gbar, m_hbar), adds dS/dy, dS/ddy into ybar, dybar
    /// and the potential's weight gradient into grad.
    void potential_reverse(const Vec& theta, Index k, const Vec& t, Step& st, Mat& ybar,
                           Mat& dybar, Vec& grad);

    const Sympflow& m_net;
    Index m_n = 0;                 // half the state dimension
    std::vector<Index> m_widths;   // of a potential: n + 1, hidden..., 1
    Index m_rows = 0;              // m; the stacked batches have 2m rows
    std::vector<Step> m_steps;     // 2L: V_1, K_1, V_2, ...
    Vec m_t;                       // m
    Mat m_q, m_p, m_dq, m_dp;      // the state and its time tangent, m x n
    Mat m_N, m_dN, m_F, m_Nbar;    // m x dim
    Mat m_g, m_hv, m_gbar, m_hbar; // m x n
    Mat m_qbar, m_pbar, m_dqbar, m_dpbar;
    Mat m_tmp;                     // m x h_0
    Vec m_w0t, m_w0t_bar;          // h_0: the weights of s in layer 0 (contiguous), their adjoint
    // Per hidden layer, 2m x h_l, shared by every potential: adjoints in the reverse pass, and
    // (Zbar) scratch for Z_l in the forward pass.
    std::vector<Mat> m_Dbar, m_Dpbar, m_S1bar, m_S2bar, m_Pbar, m_Zbar;
};

} // namespace flowkit::models
