#include "analysis/energy_distance.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

namespace flowkit::analysis {

namespace {

/// Sum over j in [begin, end) of |p - b_j|, with b given column by column (b.col(k) is
/// contiguous) and p = a.row(i). `sq` is scratch of at least b.rows() doubles. Four
/// interleaved partial sums, combined in a fixed order.
double row_distance_sum(const Mat& a, Index i, const Mat& b, Index begin, Index end,
                        std::vector<double>& sq)
{
    const Index len = end - begin;
    if (len <= 0)
        return 0.0;
    double* s = sq.data();
    {
        const double p = a(i, 0);
        const double* col = b.col(0).data() + begin;
        for (Index j = 0; j < len; ++j) {
            const double d = p - col[j];
            s[j] = d * d;
        }
    }
    for (Index k = 1; k < b.cols(); ++k) {
        const double p = a(i, k);
        const double* col = b.col(k).data() + begin;
        for (Index j = 0; j < len; ++j) {
            const double d = p - col[j];
            s[j] += d * d;
        }
    }
    double acc[4] = {0, 0, 0, 0};
    Index j = 0;
    for (; j + 4 <= len; j += 4) {
        acc[0] += std::sqrt(s[j]);
        acc[1] += std::sqrt(s[j + 1]);
        acc[2] += std::sqrt(s[j + 2]);
        acc[3] += std::sqrt(s[j + 3]);
    }
    for (; j < len; ++j)
        acc[j % 4] += std::sqrt(s[j]);
    return (acc[0] + acc[1]) + (acc[2] + acc[3]);
}

/// Sum over all ordered pairs (i, j) of |a_i - b_j|.
long double cross_sum(const Mat& a, const Mat& b, std::vector<double>& sq)
{
    long double total = 0;
    for (Index i = 0; i < a.rows(); ++i)
        total += row_distance_sum(a, i, b, 0, b.rows(), sq);
    return total;
}

/// Sum over all ordered pairs (i, j) of |a_i - a_j|: twice the sum over i < j.
long double within_sum(const Mat& a, std::vector<double>& sq)
{
    long double total = 0;
    for (Index i = 0; i + 1 < a.rows(); ++i)
        total += row_distance_sum(a, i, a, i + 1, a.rows(), sq);
    return 2 * total;
}

} // namespace

double energy_distance(const Mat& x, const Mat& y)
{
    if (x.cols() != y.cols())
        throw std::invalid_argument("energy_distance: the samples have " + std::to_string(x.cols()) +
                                    " and " + std::to_string(y.cols()) + " columns");
    if (x.rows() == 0 || y.rows() == 0)
        throw std::invalid_argument("energy_distance: empty sample");
    if (x.cols() == 0)
        throw std::invalid_argument("energy_distance: the samples have no columns");
    std::vector<double> sq(static_cast<std::size_t>(std::max(x.rows(), y.rows())));
    const long double n = static_cast<long double>(x.rows());
    const long double m = static_cast<long double>(y.rows());
    const long double xy = cross_sum(x, y, sq) / (n * m);
    const long double xx = within_sum(x, sq) / (n * n);
    const long double yy = within_sum(y, sq) / (m * m);
    return static_cast<double>(2 * xy - xx - yy);
}

} // namespace flowkit::analysis
