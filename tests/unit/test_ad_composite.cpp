// lib/ad: a gradient of an input gradient (the shape of the SympFlow loss) against finite
// differences, tanh accuracy, and clear() reusing memory.
#include "ad/tape.hpp"
#include "core/rng.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <vector>

using namespace flowkit;
using ad::Tape;

namespace {

Mat random_mat(Rng& rng, Index rows, Index cols)
{
    Mat m(rows, cols);
    for (Index j = 0; j < cols; ++j)
        for (Index i = 0; i < rows; ++i)
            m(i, j) = rng.normal();
    return m;
}

/// V(x) = tanh(x W1^T + b1) w2^T, one row per sample; params are nodes 0, 1, 2 (W1, b1, w2).
struct Mlp
{
    Mat W1, b1, w2; // [h,d], [1,h], [1,h]

    struct Ids
    {
        Tape::Id V, dVdx, L;
    };

    /// dV/dx = (tanh'(Z) .* w2) W1 with Z = x W1^T + b1;  L = sum(dV/dx .^ 2).
    Ids build(Tape& t, const Mat& x) const
    {
        t.clear();
        const Tape::Id W = t.param(W1), b = t.param(b1), w = t.param(w2);
        const Tape::Id X = t.input(x);
        const Tape::Id Z = t.add_row(t.matmul_t(X, W), b);
        const Tape::Id V = t.matmul_t(t.tanh(Z), w);
        const Tape::Id dVdx = t.matmul(t.mul_row(t.tanh_d1(Z), w), W);
        return {V, dVdx, t.sum(t.square(dVdx))};
    }
};

} // namespace

TEST_CASE("ad: gradient of sum (dV/dx)^2 for a tanh MLP matches finite differences")
{
    Rng rng(11);
    const Index n = 7, d = 2, h = 5;
    Mlp m{random_mat(rng, h, d), random_mat(rng, 1, h), random_mat(rng, 1, h)};
    const Mat x = random_mat(rng, n, d);
    Tape t;
    const double eps = 1e-6;

    // dVdx on the tape is the input gradient of V (central differences in x)
    {
        const Mat dVdx = t.value(m.build(t, x).dVdx);
        Mat fd(n, d);
        for (Index k = 0; k < d; ++k) {
            Mat xp = x, xm = x;
            xp.col(k).array() += eps;
            xm.col(k).array() -= eps;
            const Mat vp = t.value(m.build(t, xp).V), vm = t.value(m.build(t, xm).V);
            fd.col(k) = (vp - vm) / (2 * eps);
        }
        CHECK((dVdx - fd).norm() / fd.norm() < 1e-8);
    }

    const Mlp::Ids ids = m.build(t, x);
    t.backward(ids.L);
    const std::vector<Mat> grads = {t.grad(0), t.grad(1), t.grad(2)};
    for (int j = 0; j < 3; ++j) {
        CAPTURE(j);
        Mlp q = m;
        Mat* w = j == 0 ? &q.W1 : j == 1 ? &q.b1 : &q.w2;
        const Mat w0 = *w;
        Mat fd(w0.rows(), w0.cols());
        for (Index e = 0; e < w0.size(); ++e) {
            *w = w0;
            (*w)(e) += eps;
            const double lp = t.value(q.build(t, x).L)(0, 0);
            *w = w0;
            (*w)(e) -= eps;
            const double lm = t.value(q.build(t, x).L)(0, 0);
            fd(e) = (lp - lm) / (2 * eps);
        }
        // truncation ~eps^2, rounding ~1e-16 |L| / eps; |L| ~ 10, |grad| ~ 10
        CHECK((grads[j] - fd).norm() / fd.norm() < 1e-6);
    }
}

TEST_CASE("ad: tanh through exp agrees with std::tanh and has no NaN at large |x|")
{
    const Index n = 800001;
    const Mat x = Vec::LinSpaced(n, -40.0, 40.0);
    Mat t;
    ad::tanh_values(x, t);
    double err = 0;
    for (Index i = 0; i < n; ++i)
        err = std::max(err, std::abs(t(i) - std::tanh(x(i))));
    CHECK(err < 1e-15);

    Mat big(1, 6);
    big << -1000.0, 1000.0, -1e300, 1e300, -0.0, 1e-300;
    Tape tape;
    const Tape::Id a = tape.param(big);
    const std::vector<Tape::Id> outs = {tape.tanh(a),       tape.tanh_d1(a),    tape.tanh_d2(a),
                                        tape.tanh_d3(a),    tape.sigmoid(a),    tape.sigmoid_d1(a),
                                        tape.sigmoid_d2(a), tape.softplus(a)};
    for (Tape::Id o : outs)
        CHECK(tape.value(o).allFinite());
    CHECK(tape.value(outs[0])(0) == -1.0);
    CHECK(tape.value(outs[0])(1) == 1.0);
    CHECK(tape.value(outs[1])(1) == 0.0);
    CHECK(tape.value(outs[7])(1) == 1000.0);
    tape.backward(tape.sum(tape.add(tape.sum_cols(tape.concat_cols(tape.tanh_d3(a), a)),
                                    tape.sum_cols(tape.softplus(a)))));
    CHECK(tape.grad(a).allFinite());
}

TEST_CASE("ad: clear() then the same build gives the same values and gradients, same memory")
{
    Rng rng(5);
    Mlp m{random_mat(rng, 6, 3), random_mat(rng, 1, 6), random_mat(rng, 1, 6)};
    const Mat x = random_mat(rng, 9, 3);
    Tape t;
    const Mlp::Ids a = m.build(t, x);
    t.backward(a.L);
    std::vector<Mat> values, grads;
    std::vector<const double*> where;
    for (Tape::Id i = 0; i < t.size(); ++i) {
        values.push_back(t.value(i));
        where.push_back(t.value(i).data());
        if (t.needs_grad(i)) {
            grads.push_back(t.grad(i));
            where.push_back(t.grad(i).data());
        }
    }
    const Tape::Id size = t.size();

    t.clear();
    CHECK(t.size() == 0);
    const Mlp::Ids b = m.build(t, x);
    t.backward(b.L);
    REQUIRE(t.size() == size);
    CHECK(b.L == a.L);
    std::size_t g = 0, w = 0;
    for (Tape::Id i = 0; i < t.size(); ++i) {
        CHECK(t.value(i) == values[i]);
        CHECK(t.value(i).data() == where[w++]);
        if (t.needs_grad(i)) {
            CHECK(t.grad(i) == grads[g++]);
            CHECK(t.grad(i).data() == where[w++]);
        }
    }
}
