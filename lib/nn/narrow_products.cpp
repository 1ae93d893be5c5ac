#include "nn/narrow_products.hpp"

#include "nn/chunked_products.hpp"

#include <algorithm>
#include <type_traits>

namespace flowkit::nn {

namespace {
/// Up to this many units on a side, a product runs eight rows at a time (nn::chunked_times);
/// wider ones gain from the cache blocking of Eigen's product. Measured on the SympFlow-shaped
/// step of bench/mlp.sh (blocks of 64 rows, one thread, chunked_times at two outputs per pass,
/// before it took four): at width 32, 0.75 ms against 0.80 through Eigen's; at 64, 2.6 against
/// 2.5.
constexpr Index narrow = 32;
/// Layers up to this wide also go through chunked_times when the block has at most
/// `short_block` rows (the blocks of the training losses and of the solvers): the block's input
/// stays in cache, and Eigen's packing is most of its work. A CNF's 64 x 64 layer on blocks of
/// 128 rows: sampling 16 -> 12.5 ms in float, 58 -> 54.5 ms in double; a flow-matching step 88
/// -> 82 us in float. On 1000 rows at once Eigen's product is the faster (bench/mlp.sh's
/// SympFlow-shaped step at width 64, one thread: 3.8 against 4.0 ms).
constexpr Index medium = 64, short_block = 256;
/// The same for a weight gradient (nn::chunked_add_transpose_times), a sum over the rows, which
/// Eigen's product does better at width 32 (the step above: 0.75 ms against 0.78). 12 takes in
/// SympFlow's 10-unit potentials.
constexpr Index narrow_outer = 12;

/// Whether a product of `rows` rows by a weight matrix with sides a and b goes through
/// chunked_times.
bool chunked(Index rows, Index a, Index b)
{
    const Index side = std::min(a, b);
    return side <= narrow || (side <= medium && rows <= short_block);
}

template <class Scalar>
using Matrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;
template <class Scalar>
using RowVector = Eigen::Matrix<Scalar, 1, Eigen::Dynamic>;

template <class Scalar>
BasicConstColumns<Scalar> columns(const Matrix<Scalar>& M)
{
    return {M.data(), M.rows()};
}
template <class Scalar>
BasicColumns<Scalar> columns(Matrix<Scalar>& M)
{
    return {M.data(), M.rows()};
}

// The products in either precision (a weight gradient of float factors summed in float).
template <class Scalar>
void affine_of(const Matrix<Scalar>& in, const Matrix<Scalar>& W, const RowVector<Scalar>& b,
               Matrix<Scalar>& out)
{
    if (!chunked(in.rows(), W.rows(), W.cols())) {
        out.noalias() = in * W.transpose();
        out.rowwise() += b;
        return;
    }
    out.resize(in.rows(), W.rows());
    chunked_times(in.rows(), W.cols(), W.rows(), columns(in),
                  BasicWeights<Scalar>{W.data(), 1, W.rows()}, b.data(), columns(out));
}

template <class Scalar>
void times_transpose_of(const Matrix<Scalar>& in, const Matrix<Scalar>& W, Matrix<Scalar>& out)
{
    const Index m = in.cols();
    if (!chunked(in.rows(), W.rows(), m)) {
        out.noalias() = in * W.leftCols(m).transpose();
        return;
    }
    out.resize(in.rows(), W.rows());
    chunked_times(in.rows(), m, W.rows(), columns(in), BasicWeights<Scalar>{W.data(), 1, W.rows()},
                  static_cast<const Scalar*>(nullptr), columns(out));
}

// out = delta W, times 1 - A.^2 entry by entry when tanh_values (A) is given.
template <class Scalar>
void back_through_of(const Matrix<Scalar>& delta, const Matrix<Scalar>& W, Matrix<Scalar>& out,
                     const Matrix<Scalar>* tanh_values = nullptr)
{
    if (!chunked(delta.rows(), W.rows(), W.cols())) {
        out.noalias() = delta * W;
        if (tanh_values)
            out.array() *= Scalar(1) - tanh_values->array().square();
        return;
    }
    out.resize(delta.rows(), W.cols());
    const BasicConstColumns<Scalar> gate =
        tanh_values ? columns(*tanh_values) : BasicConstColumns<Scalar>{nullptr, 0};
    chunked_times(delta.rows(), W.rows(), W.cols(), columns(delta),
                  BasicWeights<Scalar>{W.data(), W.rows(), 1}, static_cast<const Scalar*>(nullptr),
                  columns(out), false, gate);
}

template <class Scalar>
void add_outer_of(const Matrix<Scalar>& delta, const Matrix<Scalar>& in, Eigen::Ref<RowMajorMat> G)
{
    if (std::min(G.rows(), G.cols()) > narrow_outer) {
        if constexpr (std::is_same_v<Scalar, double>) {
            G.noalias() += delta.transpose() * in;
        } else {
            thread_local MatF product; // summed in float; kept, so no allocation per call
            product.noalias() = delta.transpose() * in;
            G += product.cast<double>();
        }
        return;
    }
    chunked_add_transpose_times(delta.rows(), G.rows(), G.cols(), columns(delta), columns(in),
                                G.data(), G.outerStride());
}

template <class Scalar>
void add_outer_of(const Matrix<Scalar>& delta1, const Matrix<Scalar>& in1,
                  const Matrix<Scalar>& delta2, const Matrix<Scalar>& in2,
                  Eigen::Ref<RowMajorMat> G)
{
    if (std::min(G.rows(), G.cols()) > narrow_outer) {
        add_outer_of(delta1, in1, G);
        add_outer_of(delta2, in2, G);
        return;
    }
    chunked_add_transpose_times(delta1.rows(), G.rows(), G.cols(), columns(delta1), columns(in1),
                                columns(delta2), columns(in2), G.data(), G.outerStride());
}

} // namespace

void affine(const Mat& in, const Mat& W, const Eigen::RowVectorXd& b, Mat& out)
{
    affine_of(in, W, b, out);
}

void times_transpose(const Mat& in, const Mat& W, Mat& out) { times_transpose_of(in, W, out); }

void back_through(const Mat& delta, const Mat& W, Mat& out) { back_through_of(delta, W, out); }

void back_through_tanh(const Mat& delta, const Mat& W, const Mat& A, Mat& out)
{
    back_through_of(delta, W, out, &A);
}

void add_outer(const Mat& delta, const Mat& in, Eigen::Ref<RowMajorMat> G)
{
    add_outer_of(delta, in, G);
}

void add_outer(const Mat& delta1, const Mat& in1, const Mat& delta2, const Mat& in2,
               Eigen::Ref<RowMajorMat> G)
{
    add_outer_of(delta1, in1, delta2, in2, G);
}

void affine(const MatF& in, const MatF& W, const Eigen::RowVectorXf& b, MatF& out)
{
    affine_of(in, W, b, out);
}

void times_transpose(const MatF& in, const MatF& W, MatF& out) { times_transpose_of(in, W, out); }

void back_through(const MatF& delta, const MatF& W, MatF& out) { back_through_of(delta, W, out); }

void back_through_tanh(const MatF& delta, const MatF& W, const MatF& A, MatF& out)
{
    back_through_of(delta, W, out, &A);
}

void add_outer(const MatF& delta, const MatF& in, Eigen::Ref<RowMajorMat> G)
{
    add_outer_of(delta, in, G);
}

void add_outer(const MatF& delta1, const MatF& in1, const MatF& delta2, const MatF& in2,
               Eigen::Ref<RowMajorMat> G)
{
    add_outer_of(delta1, in1, delta2, in2, G);
}

} // namespace flowkit::nn
