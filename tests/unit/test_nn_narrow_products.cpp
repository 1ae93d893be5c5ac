#include "nn/narrow_products.hpp"
#include "random_matrix.hpp"

#include <doctest/doctest.h>

using namespace flowkit;
using flowkit::test::random_mat;

namespace {

// Shapes on either side of each route: narrow sides (chunked at any row count), a 64 x 64 and a
// 40 x 70 layer on short blocks (chunked) and on long ones (Eigen's product), a 70 x 70 layer
// (Eigen's at any row count).
struct Shape
{
    Index rows, in, out;
};
const Shape shapes[] = {{130, 3, 64}, {600, 64, 2}, {128, 64, 64}, {256, 64, 64}, {257, 64, 64},
                        {100, 40, 70}, {400, 70, 40}, {64, 70, 70}};

} // namespace

TEST_CASE("nn narrow products: affine, times_transpose, back_through and back_through_tanh on "
          "every route agree with Eigen's products")
{
    Rng rng(21);
    for (const Shape& s : shapes) {
        CAPTURE(s.rows);
        CAPTURE(s.in);
        CAPTURE(s.out);
        const Mat x = random_mat(rng, s.rows, s.in);
        const Mat W = random_mat(rng, s.out, s.in + 1); // times_transpose reads its first columns
        const Mat Wsq = W.leftCols(s.in);
        const Eigen::RowVectorXd b = random_mat(rng, 1, s.out);
        const Mat delta = random_mat(rng, s.rows, s.out);
        const Mat want_affine = (x * Wsq.transpose()).rowwise() + b;
        const Mat want_times = x * Wsq.transpose();
        const Mat want_back = delta * Wsq;

        Mat out;
        nn::affine(x, Wsq, b, out);
        CHECK((out - want_affine).norm() <= 1e-13 * want_affine.norm());
        nn::times_transpose(x, W, out);
        CHECK((out - want_times).norm() <= 1e-13 * want_times.norm());
        nn::back_through(delta, Wsq, out);
        CHECK((out - want_back).norm() <= 1e-13 * want_back.norm());
        const Mat A = random_mat(rng, s.rows, s.in).array().tanh().matrix(); // a tanh layer
        const Mat want_gated = want_back.array() * (1 - A.array().square());
        nn::back_through_tanh(delta, Wsq, A, out);
        CHECK((out - want_gated).norm() <= 1e-13 * want_gated.norm());

        // float: the double products of the same float entries
        const MatF xf = x.cast<float>(), Wf = W.cast<float>(), Wsqf = Wsq.cast<float>();
        const MatF deltaf = delta.cast<float>();
        const Eigen::RowVectorXf bf = b.cast<float>();
        const Mat x_r = xf.cast<double>(), W_r = Wsqf.cast<double>(), d_r = deltaf.cast<double>();
        const Mat want_affine_f = (x_r * W_r.transpose()).rowwise() + bf.cast<double>();
        const Mat want_back_f = d_r * W_r;
        MatF outf;
        nn::affine(xf, Wsqf, bf, outf);
        CHECK((outf.cast<double>() - want_affine_f).norm() <= 1e-6 * want_affine_f.norm());
        nn::times_transpose(xf, Wf, outf);
        const Mat want_times_f = x_r * W_r.transpose();
        CHECK((outf.cast<double>() - want_times_f).norm() <= 1e-6 * want_times_f.norm());
        nn::back_through(deltaf, Wsqf, outf);
        CHECK((outf.cast<double>() - want_back_f).norm() <= 1e-6 * want_back_f.norm());
        const MatF Af = A.cast<float>();
        const Mat want_gated_f = want_back_f.array() * (1 - Af.cast<double>().array().square());
        nn::back_through_tanh(deltaf, Wsqf, Af, outf);
        CHECK((outf.cast<double>() - want_gated_f).norm() <= 1e-6 * want_gated_f.norm());
    }
}
