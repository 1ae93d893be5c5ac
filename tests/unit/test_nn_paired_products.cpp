// nn::paired_times: the product of a stacked batch [top; bottom] by a weight matrix, handed to a
// step entry by entry, against Eigen's product of each half, in double and in float; the rows
// it hands over cover every row once (tails of one and of two partial chunks included).
#include "nn/paired_products.hpp"
#include "random_matrix.hpp"

#include <doctest/doctest.h>

using namespace flowkit;
using flowkit::test::random_mat;

namespace {

// Stores what it is handed into two m-row matrices and counts the entries handed over.
template <class Scalar>
struct Keep
{
    using Matrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;
    Matrix top, bottom;
    Eigen::MatrixXi count;
    void operator()(Index j, Index r, Index n, Chunk<Scalar> t, Chunk<Scalar> b)
    {
        REQUIRE(n >= 1);
        REQUIRE(n <= chunk_lanes<Scalar>);
        for (Index i = 0; i < n; ++i) {
            top(r + i, j) = t[i];
            bottom(r + i, j) = b[i];
            ++count(r + i, j);
        }
    }
};

template <class Scalar>
void check_paired_times(double tolerance)
{
    using Matrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;
    using RowVector = Eigen::Matrix<Scalar, 1, Eigen::Dynamic>;
    constexpr Index lanes = chunk_lanes<Scalar>;
    Rng rng(51);
    // Around the pair of chunks a pass takes per half: none left, one partial chunk, one whole
    // and a partial one.
    for (Index m : {Index(1), lanes - 1, lanes, lanes + 3, 2 * lanes, 2 * lanes + 1,
                    3 * lanes + 2, 8 * lanes, 8 * lanes + 2 * lanes - 1})
        for (Index in_cols : {Index(1), Index(2), Index(10)})
            for (Index out_cols : {Index(1), Index(3), Index(10), Index(13)}) {
                CAPTURE(m);
                CAPTURE(in_cols);
                CAPTURE(out_cols);
                const Matrix in = random_mat(rng, 2 * m, in_cols).cast<Scalar>();
                const Matrix W = random_mat(rng, out_cols, in_cols).cast<Scalar>();
                const RowVector b = random_mat(rng, 1, out_cols).cast<Scalar>();
                Keep<Scalar> keep{Matrix::Zero(m, out_cols), Matrix::Zero(m, out_cols),
                                  Eigen::MatrixXi::Zero(m, out_cols)};
                // W column-major, out x in: w(j, k) = W(j, k) at j + k * out_cols
                nn::paired_times(m, in_cols, out_cols, {in.data(), 2 * m},
                                 nn::BasicWeights<Scalar>{W.data(), 1, out_cols}, keep, b.data());
                CHECK((keep.count.array() == 1).all());
                const Matrix top = (in.topRows(m) * W.transpose()).rowwise() + b;
                const Matrix bottom = in.bottomRows(m) * W.transpose();
                CHECK((keep.top - top).norm() <= tolerance * top.norm());
                CHECK((keep.bottom - bottom).norm() <= tolerance * bottom.norm());

                // No bias, and W read transposed (delta W, as a backward step reads it).
                const Matrix V = random_mat(rng, in_cols, out_cols).cast<Scalar>();
                keep.count.setZero();
                nn::paired_times(m, in_cols, out_cols, {in.data(), 2 * m},
                                 nn::BasicWeights<Scalar>{V.data(), in_cols, 1}, keep);
                CHECK((keep.count.array() == 1).all());
                const Matrix top_v = in.topRows(m) * V, bottom_v = in.bottomRows(m) * V;
                CHECK((keep.top - top_v).norm() <= tolerance * top_v.norm());
                CHECK((keep.bottom - bottom_v).norm() <= tolerance * bottom_v.norm());
            }
}

} // namespace

TEST_CASE("nn paired_times: both halves' products, every entry handed over once")
{
    check_paired_times<double>(1e-14);
    check_paired_times<float>(1e-6);
}
