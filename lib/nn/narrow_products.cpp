#include "nn/narrow_products.hpp"

#include <algorithm>

namespace flowkit::nn {

namespace {
/// Below this many units on a side, a product runs column by column.
constexpr Index narrow = 8;
} // namespace

void affine(const Mat& in, const Mat& W, const Eigen::RowVectorXd& b, Mat& out)
{
    if (std::min(W.rows(), W.cols()) > narrow) {
        out.noalias() = in * W.transpose();
        out.rowwise() += b;
        return;
    }
    out.resize(in.rows(), W.rows());
    for (Index j = 0; j < W.rows(); ++j) {
        auto o = out.col(j);
        o.setConstant(b(j));
        for (Index k = 0; k < W.cols(); ++k)
            o += W(j, k) * in.col(k);
    }
}

void times_transpose(const Mat& in, const Mat& W, Mat& out)
{
    const Index m = in.cols();
    if (std::min(W.rows(), m) > narrow) {
        out.noalias() = in * W.leftCols(m).transpose();
        return;
    }
    out.resize(in.rows(), W.rows());
    for (Index j = 0; j < W.rows(); ++j) {
        auto o = out.col(j);
        o = W(j, 0) * in.col(0);
        for (Index k = 1; k < m; ++k)
            o += W(j, k) * in.col(k);
    }
}

void back_through(const Mat& delta, const Mat& W, Mat& out)
{
    if (std::min(W.rows(), W.cols()) > narrow) {
        out.noalias() = delta * W;
        return;
    }
    out.resize(delta.rows(), W.cols());
    for (Index k = 0; k < W.cols(); ++k) {
        auto o = out.col(k);
        o = W(0, k) * delta.col(0);
        for (Index j = 1; j < W.rows(); ++j)
            o += W(j, k) * delta.col(j);
    }
}

void add_outer(const Mat& delta, const Mat& in, Eigen::Ref<RowMajorMat> G)
{
    if (std::min(G.rows(), G.cols()) > narrow) {
        G.noalias() += delta.transpose() * in;
        return;
    }
    for (Index j = 0; j < G.rows(); ++j)
        for (Index k = 0; k < G.cols(); ++k)
            G(j, k) += delta.col(j).dot(in.col(k));
}

} // namespace flowkit::nn
