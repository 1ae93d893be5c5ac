// The SympFlow residual sum_rows |dN/dt - F(t, N)|^2 and its weight gradient in closed form
// (DESIGN.md "Derivatives": a fused SympFlow layer in place of the tape, checked against it).
// The tape builds thousands of tiny nodes per block; here every potential's gradient and its
// time derivative come from nn::HessianVectorKernel, at t and at 0 as one stacked batch, and
// sympflow_fused.cpp chains them through the flow's steps, forward and in reverse.
//
// SympflowResidualKernelF does the same in float (sympflow-train --precision single): the
// potentials and the flow's state; the System's F(t, N), the residual, its sum and theta's
// gradient stay double.
#pragma once

#include "core/eigen.hpp"
#include "models/sympflow.hpp"
#include "nn/hessian_vector_kernel.hpp"
#include "ode/system.hpp"

#include <vector>

namespace flowkit::models {

/// Workspace and code for the fused residual of one Sympflow net. Not thread-safe: one kernel
/// per concurrent caller. Repeated calls with the same number of rows allocate nothing of
/// their own (the System's rhs and vjp may).
template <class Scalar>
class BasicSympflowResidualKernel
{
public:
    using Matrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;
    using Vector = Eigen::Matrix<Scalar, Eigen::Dynamic, 1>;
    using Potential = nn::BasicHessianVectorKernel<Scalar>;

    /// True if the kernel handles the net: tanh hidden layers, at least one of them.
    static bool supports(const Sympflow& net);

    /// std::invalid_argument unless supports(net). net must outlive the kernel.
    explicit BasicSympflowResidualKernel(const Sympflow& net);

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
    void shape(Index m);
    /// Copies t into m_t (the System takes a Vec) and runs the flow, filling m_N and m_dN.
    void forward(const Vec& theta, const Eigen::Ref<const Vec>& t, const Eigen::Ref<const Mat>& x0);
    /// Step k's potential U on y, along dy: m_g = grad_y U(t, y) - grad_y U(0, y) and
    /// m_hv = [Hess U(t, y)(dy, 1) - Hess U(0, y)(dy, 0)]_y.
    void potential_forward(Index k, const Matrix& y, const Matrix& dy);
    /// Given m_gbar = dS/dg and m_hbar = dS/dhv, adds dS/dy, dS/ddy into ybar, dybar and the
    /// potential's weight gradient into grad.
    void potential_reverse(Index k, Matrix& ybar, Matrix& dybar, Vec& grad);

    const Sympflow& m_net;
    Index m_n = 0;    // half the state dimension
    Index m_rows = 0; // m
    // 2L potentials V_1, K_1, V_2, ..., each evaluated at s = t (rows [0, m)) and at s = 0
    // (rows [m, 2m)) as one stacked batch, with its own workspace for the reverse pass.
    std::vector<Potential> m_potentials;
    std::vector<typename Potential::Workspace> m_workspaces;
    typename Potential::ReverseWorkspace m_reverse; // shared: they reverse one by one
    Vec m_t;                          // m, for the System
    Vector m_ts;                      // m_t in Scalar, for the potentials
    Matrix m_X, m_V;                  // input [y, s], direction [dy, ds]: 2m x (n + 1)
    Matrix m_GHbar, m_XVbar;          // adjoints of its [G; HV] and of [X; V], 4m x (n + 1)
    Matrix m_q, m_p, m_dq, m_dp;      // the state and its time tangent, m x n
    Mat m_N, m_dN, m_F, m_Nbar;       // m x dim, in double: the System's side
    Matrix m_g, m_hv, m_gbar, m_hbar; // m x n
    Matrix m_qbar, m_pbar, m_dqbar, m_dpbar;
};

using SympflowResidualKernel = BasicSympflowResidualKernel<double>;
using SympflowResidualKernelF = BasicSympflowResidualKernel<float>;

} // namespace flowkit::models
