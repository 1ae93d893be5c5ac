// Central differences and the relative difference the derivative tests compare with.
#pragma once

#include "core/eigen.hpp"

#include <algorithm>
#include <functional>

namespace flowkit::test {

/// |a - b| / |b| (Frobenius norms).
inline double rel_diff(const Mat& a, const Mat& b)
{
    return (a - b).norm() / std::max(1e-300, b.norm());
}

/// Central differences of a scalar function along every entry of x.
inline Mat central_gradient(const std::function<double(const Mat&)>& f, Mat x, double eps)
{
    Mat g(x.rows(), x.cols());
    for (Index j = 0; j < x.cols(); ++j)
        for (Index i = 0; i < x.rows(); ++i) {
            const double x0 = x(i, j);
            x(i, j) = x0 + eps;
            const double fp = f(x);
            x(i, j) = x0 - eps;
            const double fm = f(x);
            x(i, j) = x0;
            g(i, j) = (fp - fm) / (2 * eps);
        }
    return g;
}

} // namespace flowkit::test
