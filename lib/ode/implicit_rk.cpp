#include "ode/implicit_rk.hpp"

#include "core/error.hpp"
#include "io/table.hpp"

#include <Eigen/LU>
#include <cmath>

namespace flowkit::ode {

ButcherTableau implicit_euler_tableau()
{
    return {"implicit-euler", 1, Mat::Ones(1, 1), Vec::Ones(1), Vec::Ones(1)};
}

ButcherTableau implicit_midpoint_tableau()
{
    return {"implicit-midpoint", 2, Mat::Constant(1, 1, 0.5), Vec::Ones(1), Vec::Constant(1, 0.5)};
}

ButcherTableau gauss_tableau(int stages)
{
    if (stages == 1) {
        ButcherTableau t = implicit_midpoint_tableau();
        t.name = "gauss2";
        return t;
    }
    if (stages == 2) {
        const double r = std::sqrt(3.0) / 6;
        Mat a(2, 2);
        a << 0.25, 0.25 - r, 0.25 + r, 0.25;
        return {"gauss4", 4, a, Vec::Constant(2, 0.5), (Vec(2) << 0.5 - r, 0.5 + r).finished()};
    }
    if (stages == 3) {
        const double r = std::sqrt(15.0);
        Mat a(3, 3);
        a << 5.0 / 36, 2.0 / 9 - r / 15, 5.0 / 36 - r / 30,       //
            5.0 / 36 + r / 24, 2.0 / 9, 5.0 / 36 - r / 24,        //
            5.0 / 36 + r / 30, 2.0 / 9 + r / 15, 5.0 / 36;
        return {"gauss6", 6, a, (Vec(3) << 5.0 / 18, 4.0 / 9, 5.0 / 18).finished(),
                (Vec(3) << 0.5 - r / 10, 0.5, 0.5 + r / 10).finished()};
    }
    throw UsageError("Gauss-Legendre methods have 1, 2 or 3 stages");
}

ImplicitRK::ImplicitRK(const System& system, ButcherTableau tableau, double tol, int max_iterations)
    : SystemStepper(system), m_tab(std::move(tableau)), m_tol(tol), m_max_iterations(max_iterations)
{
}

void ImplicitRK::advance(const Vec& t, const Vec& h, Mat& x)
{
    const Index s = m_tab.b.size(), n = x.rows(), d = x.cols();
    const auto H = h.asDiagonal();

    // Start from the explicit guess K_i = F(t, x).
    m_k.resize(static_cast<std::size_t>(s));
    eval(t, x, m_k[0]);
    for (Index i = 1; i < s; ++i)
        m_k[static_cast<std::size_t>(i)] = m_k[0];
    m_ty.resize(s * n);
    for (Index i = 0; i < s; ++i)
        m_ty.segment(i * n, n) = t + m_tab.c(i) * h;
    m_y.resize(s * n, d);
    m_jac.resize(static_cast<std::size_t>(d));

    const double x_scale = 1.0 + x.lpNorm<Eigen::Infinity>();
    Mat M(s * d, s * d);
    Vec residual(s * d);
    double previous = INFINITY;
    for (int iteration = 1;; ++iteration) {
        // Stage states Y_i = x + h sum_j a_ij K_j, stacked, and their slopes F(t + c_i h, Y_i).
        for (Index i = 0; i < s; ++i) {
            auto yi = m_y.middleRows(i * n, n);
            yi = x;
            for (Index j = 0; j < s; ++j)
                if (m_tab.a(i, j) != 0.0)
                    yi.noalias() += m_tab.a(i, j) * (H * m_k[static_cast<std::size_t>(j)]);
        }
        eval(m_ty, m_y, m_f);
        // Columns of the Jacobian at every stage state: J e_j.
        for (Index j = 0; j < d; ++j) {
            m_e.setZero(s * n, d);
            m_e.col(j).setOnes();
            m_system.jvp(m_ty, m_y, m_e, m_jac[static_cast<std::size_t>(j)]);
        }
        // Per row: (I - h A (x) J) dK = F - K, block (i, j) = delta_ij I - h a_ij J(Y_i).
        double update = 0;
        for (Index r = 0; r < n; ++r) {
            for (Index i = 0; i < s; ++i) {
                const Index row = i * n + r;
                for (Index a = 0; a < d; ++a)
                    residual(i * d + a) = m_f(row, a) - m_k[static_cast<std::size_t>(i)](r, a);
                for (Index j = 0; j < s; ++j)
                    for (Index b = 0; b < d; ++b)
                        for (Index a = 0; a < d; ++a)
                            M(i * d + a, j * d + b) =
                                (i == j && a == b ? 1.0 : 0.0) -
                                h(r) * m_tab.a(i, j) * m_jac[static_cast<std::size_t>(b)](row, a);
            }
            const Vec dk = M.partialPivLu().solve(residual);
            for (Index i = 0; i < s; ++i)
                m_k[static_cast<std::size_t>(i)].row(r) += dk.segment(i * d, d).transpose();
            update = std::max(update, std::abs(h(r)) * dk.lpNorm<Eigen::Infinity>() / x_scale);
        }
        if (!std::isfinite(update))
            update = INFINITY;
        // Converged, or at the round-off floor where updates stop shrinking.
        if (update <= m_tol || (update <= 1e-10 && update >= 0.5 * previous))
            break;
        if (iteration >= m_max_iterations)
            throw ComputeError(name() + ": Newton did not converge in " +
                               std::to_string(m_max_iterations) + " iterations at t=" +
                               io::format_number(t.minCoeff()) + " (last update " +
                               io::format_number(update) + "); try a smaller --dt");
        previous = update;
    }
    for (Index i = 0; i < s; ++i)
        x.noalias() += m_tab.b(i) * (H * m_k[static_cast<std::size_t>(i)]);
}

} // namespace flowkit::ode
