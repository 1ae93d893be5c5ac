#include "nn/narrow_products.hpp"

#include "nn/chunked_products.hpp"

#include <algorithm>

namespace flowkit::nn {

namespace {
/// Up to this many units on a side, a product runs eight rows at a time (nn::chunked_times);
/// wider ones gain from the cache blocking of Eigen's product. Measured on the SympFlow-shaped
/// step of bench/mlp.sh (blocks of 64 rows, one thread, chunked_times at two outputs per pass,
/// before it took four): at width 32, 0.75 ms against 0.80 through Eigen's; at 64, 2.6 against
/// 2.5.
constexpr Index narrow = 32;
/// The same for a weight gradient (nn::chunked_add_transpose_times), a sum over the rows, which
/// Eigen's product does better at width 32 (the step above: 0.75 ms against 0.78). 12 takes in
/// SympFlow's 10-unit potentials.
constexpr Index narrow_outer = 12;

ConstColumns columns(const Mat& M) { return {M.data(), M.rows()}; }
Columns columns(Mat& M) { return {M.data(), M.rows()}; }
} // namespace

void affine(const Mat& in, const Mat& W, const Eigen::RowVectorXd& b, Mat& out)
{
    if (std::min(W.rows(), W.cols()) > narrow) {
        out.noalias() = in * W.transpose();
        out.rowwise() += b;
        return;
    }
    out.resize(in.rows(), W.rows());
    chunked_times(in.rows(), W.cols(), W.rows(), columns(in), {W.data(), 1, W.rows()}, b.data(),
                  columns(out));
}

void times_transpose(const Mat& in, const Mat& W, Mat& out)
{
    const Index m = in.cols();
    if (std::min(W.rows(), m) > narrow) {
        out.noalias() = in * W.leftCols(m).transpose();
        return;
    }
    out.resize(in.rows(), W.rows());
    chunked_times(in.rows(), m, W.rows(), columns(in), {W.data(), 1, W.rows()}, nullptr,
                  columns(out));
}

void back_through(const Mat& delta, const Mat& W, Mat& out)
{
    if (std::min(W.rows(), W.cols()) > narrow) {
        out.noalias() = delta * W;
        return;
    }
    out.resize(delta.rows(), W.cols());
    chunked_times(delta.rows(), W.rows(), W.cols(), columns(delta), {W.data(), W.rows(), 1},
                  nullptr, columns(out));
}

void add_outer(const Mat& delta, const Mat& in, Eigen::Ref<RowMajorMat> G)
{
    if (std::min(G.rows(), G.cols()) > narrow_outer) {
        G.noalias() += delta.transpose() * in;
        return;
    }
    chunked_add_transpose_times(delta.rows(), G.rows(), G.cols(), columns(delta), columns(in),
                                G.data(), G.outerStride());
}

void add_outer(const Mat& delta1, const Mat& in1, const Mat& delta2, const Mat& in2,
               Eigen::Ref<RowMajorMat> G)
{
    if (std::min(G.rows(), G.cols()) > narrow_outer) {
        G.noalias() += delta1.transpose() * in1;
        G.noalias() += delta2.transpose() * in2;
        return;
    }
    chunked_add_transpose_times(delta1.rows(), G.rows(), G.cols(), columns(delta1), columns(in1),
                                columns(delta2), columns(in2), G.data(), G.outerStride());
}

void affine(const MatF& in, const MatF& W, const Eigen::RowVectorXf& b, MatF& out)
{
    out.noalias() = in * W.transpose();
    out.rowwise() += b;
}

void times_transpose(const MatF& in, const MatF& W, MatF& out)
{
    out.noalias() = in * W.leftCols(in.cols()).transpose();
}

void back_through(const MatF& delta, const MatF& W, MatF& out)
{
    out.noalias() = delta * W;
}

void add_outer(const MatF& delta, const MatF& in, Eigen::Ref<RowMajorMat> G)
{
    G += (delta.transpose() * in).cast<double>();
}

} // namespace flowkit::nn
