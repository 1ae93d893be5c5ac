#include "nn/chunked_products.hpp"
#include "random_matrix.hpp"

#include <doctest/doctest.h>

using namespace flowkit;
using flowkit::test::random_mat;

namespace {


// Row counts around the chunk (8) and unroll (32) boundaries, and widths around the 12 columns
// of B that chunked_add_transpose_times keeps in registers per pass.
const Index row_counts[] = {1, 7, 8, 9, 31, 32, 33, 70, 256};
const Index widths[] = {1, 2, 10, 12, 13, 25};

} // namespace

TEST_CASE("nn chunked_times: x W^T + b, x W and accumulation, on blocks of rows, as Eigen's products")
{
    Rng rng(11);
    for (Index rows : row_counts)
        for (Index in_cols : widths)
            for (Index out_cols : {Index(1), Index(3), Index(10), Index(17)}) {
                // the input is the bottom rows of a taller matrix (a stacked batch's s = 0 half)
                const Mat tall = random_mat(rng, rows + 5, in_cols);
                const Mat x = tall.bottomRows(rows);
                const RowMajorMat W = random_mat(rng, out_cols, in_cols);
                const RowMajorMat V = random_mat(rng, in_cols, out_cols); // for x V
                const Eigen::RowVectorXd b = random_mat(rng, 1, out_cols);
                Mat out = Mat::Constant(rows + 3, out_cols, 7.0);
                const nn::Columns top{out.data(), out.rows()};
                const nn::ConstColumns in{tall.data() + 5, tall.rows()};

                nn::chunked_times(rows, in_cols, out_cols, in, {W.data(), in_cols, 1}, b.data(), top);
                Mat want = (x * W.transpose()).rowwise() + b;
                CHECK((out.topRows(rows) - want).norm() <= 1e-13 * want.norm());
                CHECK((out.bottomRows(3).array() == 7.0).all()); // rows past the block untouched

                nn::chunked_times(rows, in_cols, out_cols, in, {V.data(), 1, out_cols}, nullptr, top,
                                  true);
                want += x * V;
                CHECK((out.topRows(rows) - want).norm() <= 1e-13 * want.norm());
            }
}

TEST_CASE("nn chunked_add_transpose_times: G += A^T B into a block of a row-major matrix")
{
    Rng rng(12);
    for (Index rows : row_counts)
        for (Index a_cols : widths)
            for (Index b_cols : widths) {
                const Mat A = random_mat(rng, rows, a_cols), B = random_mat(rng, rows + 2, b_cols);
                // G is the left b_cols columns of a wider row-major matrix (W0y inside W_0)
                RowMajorMat G = random_mat(rng, a_cols, b_cols + 1);
                const RowMajorMat before = G;
                nn::chunked_add_transpose_times(rows, a_cols, b_cols, {A.data(), A.rows()},
                                                {B.data(), B.rows()}, G.data(), b_cols + 1);
                const Mat want = before.leftCols(b_cols) + A.transpose() * B.topRows(rows);
                CHECK((G.leftCols(b_cols) - want).norm() <= 1e-13 * want.norm());
                CHECK(G.col(b_cols) == before.col(b_cols));
            }
}

TEST_CASE("nn chunked_add_transpose_times: G += A1^T B1 + A2^T B2 in one pass")
{
    Rng rng(13);
    for (Index rows : row_counts)
        for (Index a_cols : widths)
            for (Index b_cols : widths) {
                const Mat A1 = random_mat(rng, rows, a_cols), B1 = random_mat(rng, rows, b_cols);
                const Mat A2 = random_mat(rng, rows + 1, a_cols), B2 = random_mat(rng, rows, b_cols);
                RowMajorMat G = random_mat(rng, a_cols, b_cols + 2);
                const RowMajorMat before = G;
                nn::chunked_add_transpose_times(rows, a_cols, b_cols, {A1.data(), A1.rows()},
                                                {B1.data(), B1.rows()}, {A2.data(), A2.rows()},
                                                {B2.data(), B2.rows()}, G.data(), b_cols + 2);
                const Mat want = before.leftCols(b_cols) + A1.transpose() * B1 +
                                 A2.topRows(rows).transpose() * B2;
                CHECK((G.leftCols(b_cols) - want).norm() <= 1e-13 * want.norm());
                CHECK(G.rightCols(2) == before.rightCols(2));
            }
}

TEST_CASE("nn chunked products in float: sixteen rows at a time, the last chunk partial")
{
    // Row counts around the float chunk (16) and unroll (64) boundaries. The reference is the
    // double product of the same float entries; a partial chunk must neither read nor write
    // past the block's rows.
    Rng rng(14);
    for (Index rows : {1, 15, 16, 17, 40, 63, 64, 65, 104, 256})
        for (Index in_cols : {1, 2, 13, 32})
            for (Index out_cols : {1, 2, 5, 32}) {
                const MatF tall = random_mat(rng, rows + 5, in_cols).cast<float>();
                const Mat x = tall.bottomRows(rows).cast<double>();
                const MatF W = random_mat(rng, out_cols, in_cols).cast<float>();
                const Eigen::RowVectorXf b = random_mat(rng, 1, out_cols).cast<float>();
                MatF out = MatF::Constant(rows + 3, out_cols, 7.0f);
                nn::chunked_times(rows, in_cols, out_cols, {tall.data() + 5, tall.rows()},
                                  {W.data(), 1, out_cols}, b.data(), {out.data(), out.rows()});
                const Mat want = (x * W.cast<double>().transpose()).rowwise() + b.cast<double>();
                CHECK((out.topRows(rows).cast<double>() - want).norm() <= 1e-6 * want.norm());
                CHECK((out.bottomRows(3).array() == 7.0f).all());

                const MatF A = random_mat(rng, rows, out_cols).cast<float>();
                RowMajorMat G = random_mat(rng, out_cols, in_cols + 1);
                const RowMajorMat before = G;
                nn::chunked_add_transpose_times(rows, out_cols, in_cols, {A.data(), A.rows()},
                                                {tall.data() + 5, tall.rows()}, G.data(),
                                                in_cols + 1);
                const Mat sum = A.cast<double>().transpose() * x;
                CHECK((G.leftCols(in_cols) - before.leftCols(in_cols) - sum).norm() <=
                      1e-6 * (sum.norm() + 1e-3));
                CHECK(G.col(in_cols) == before.col(in_cols));
            }
}
