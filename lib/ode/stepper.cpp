#include "ode/stepper.hpp"

#include <cmath>

namespace flowkit::ode {

long Stepper::steps(double t0, double h, long k_begin, long k_end, double h_last, Mat& x)
{
    Vec t(x.rows()), hv(x.rows());
    for (long k = k_begin; k < k_end; ++k) {
        t.setConstant(t0 + static_cast<double>(k) * h);
        hv.setConstant(k + 1 == k_end ? h_last : h);
        step(t, hv, x);
        // A sum is NaN or Inf whenever an entry is (or the state is beyond 1e308 anyway).
        if (!std::isfinite(x.sum()))
            return k;
    }
    return k_end;
}

void hermite(const Mat& x0, const Mat& f0, const Mat& x1, const Mat& f1, const Vec& h,
             const Vec& theta, Mat& out)
{
    const Eigen::ArrayXd s = theta.array();
    const Eigen::ArrayXd s2 = s.square(), s3 = s2 * s;
    const Eigen::ArrayXd h00 = 2 * s3 - 3 * s2 + 1;
    const Eigen::ArrayXd h10 = (s3 - 2 * s2 + s) * h.array();
    const Eigen::ArrayXd h01 = -2 * s3 + 3 * s2;
    const Eigen::ArrayXd h11 = (s3 - s2) * h.array();
    out = x0.array().colwise() * h00 + f0.array().colwise() * h10 + x1.array().colwise() * h01 +
          f1.array().colwise() * h11;
}

} // namespace flowkit::ode
