#include "ode/dopri5.hpp"

#include "ode/dopri5_coefficients.hpp"

namespace flowkit::ode {

using namespace dopri5_coefficients;

Dopri5::Dopri5(const System& system, double rtol, double atol)
    : m_system(system), m_rtol(rtol), m_atol(atol)
{
}

void Dopri5::eval(const Vec& t, const Mat& x, Mat& f) const
{
    m_system.rhs(t, x, f);
    m_evaluations += x.rows();
}

void Dopri5::attempt(const Vec& t, const Vec& h, const Mat& x, const Mat& k1, Mat& x_new, Mat& k7,
                     Vec& err)
{
    auto& k = m_k;
    const auto H = h.asDiagonal();
    k[0] = k1;
    m_y = x;
    m_y.noalias() += H * (a21 * k[0]);
    eval(m_ts = t + c2 * h, m_y, k[1]);
    m_y = x;
    m_y.noalias() += H * (a31 * k[0] + a32 * k[1]);
    eval(m_ts = t + c3 * h, m_y, k[2]);
    m_y = x;
    m_y.noalias() += H * (a41 * k[0] + a42 * k[1] + a43 * k[2]);
    eval(m_ts = t + c4 * h, m_y, k[3]);
    m_y = x;
    m_y.noalias() += H * (a51 * k[0] + a52 * k[1] + a53 * k[2] + a54 * k[3]);
    eval(m_ts = t + c5 * h, m_y, k[4]);
    m_y = x;
    m_y.noalias() += H * (a61 * k[0] + a62 * k[1] + a63 * k[2] + a64 * k[3] + a65 * k[4]);
    eval(m_ts = t + h, m_y, k[5]);
    x_new = x;
    x_new.noalias() += H * (a71 * k[0] + a73 * k[2] + a74 * k[3] + a75 * k[4] + a76 * k[5]);
    eval(m_ts, x_new, k[6]);
    k7 = k[6];

    // err_j = h (e . k)_j / (atol + rtol max(|x_j|, |x_new_j|)), RMS over j.
    m_y.noalias() = H * (e1 * k[0] + e3 * k[2] + e4 * k[3] + e5 * k[4] + e6 * k[5] + e7 * k[6]);
    const Eigen::ArrayXXd scale = m_atol + m_rtol * x.array().abs().max(x_new.array().abs());
    err = ((m_y.array() / scale).square().rowwise().sum() / static_cast<double>(x.cols())).sqrt();

    m_h = h;
    if (m_keep_dense) {
        m_x0 = x;
        m_x1 = x_new;
    }
}

void Dopri5::step(const Vec& t, const Vec& h, Mat& x)
{
    Mat k1, x_new, k7;
    Vec err;
    eval(t, x, k1);
    attempt(t, h, x, k1, x_new, k7, err);
    x = x_new;
}

void Dopri5::dense(const std::vector<Index>& rows, const Vec& theta, Mat& out) const
{
    // y(theta) = r1 + theta (r2 + (1 - theta) (r3 + theta (r4 + (1 - theta) r5))), with
    // r1 = y0, r2 = y1 - y0, r3 = h k1 - r2, r4 = r2 - h k7 - r3, r5 = h (d . k).
    const Index n = static_cast<Index>(rows.size());
    const Index d = m_x0.cols();
    out.resize(n, d);
    for (Index i = 0; i < n; ++i) {
        const Index r = rows[static_cast<std::size_t>(i)];
        const double h = m_h(r), s = theta(i);
        for (Index j = 0; j < d; ++j) {
            const double y0 = m_x0(r, j), y1 = m_x1(r, j);
            const double r2 = y1 - y0;
            const double r3 = h * m_k[0](r, j) - r2;
            const double r4 = r2 - h * m_k[6](r, j) - r3;
            const double r5 = h * (d1 * m_k[0](r, j) + d3 * m_k[2](r, j) + d4 * m_k[3](r, j) +
                                   d5 * m_k[4](r, j) + d6 * m_k[5](r, j) + d7 * m_k[6](r, j));
            out(i, j) = y0 + s * (r2 + (1 - s) * (r3 + s * (r4 + (1 - s) * r5)));
        }
    }
}

} // namespace flowkit::ode
