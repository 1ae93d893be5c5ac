// lib/ad: a gradient of an input gradient (the shape of the SympFlow loss) against finite
// differences, tanh accuracy, and clear() reusing memory.
#include "ad/tape.hpp"
#include "core/rng.hpp"
#include "random_matrix.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

using namespace flowkit;
using ad::Tape;

namespace {

using test::random_mat;

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

namespace {

using Unary = Tape::Id (Tape::*)(Tape::Id);

/// An activation and its derivative as tape ops.
struct Activation
{
    const char* name;
    Unary f, d1;
};

/// The harmonic oscillator field (q, p) -> (p, -q) on rows of [n,2], and its VJP.
void oscillator(const std::vector<const Mat*>& in, Mat& out)
{
    const Mat& y = *in[0];
    out.resize(y.rows(), 2);
    out.col(0) = y.col(1);
    out.col(1) = -y.col(0);
}

void oscillator_vjp(const std::vector<const Mat*>&, const Mat&, const Mat& g,
                    const std::vector<Mat*>& grads)
{
    if (!grads[0])
        return;
    grads[0]->col(0) -= g.col(1);
    grads[0]->col(1) += g.col(0);
}

/// N(t) = act(t W1 + b1) W2^T + b2, [n,1] -> [n,2]; params are nodes 0..3 (W1, b1, W2, b2).
struct Pinn
{
    Mat W1, b1, W2, b2; // [1,h], [1,h], [2,h], [1,2]
    Activation act;

    struct Ids
    {
        Tape::Id N, dNdt, L;
    };

    /// dN/dt = (act'(Z) .* W1) W2^T;  L = sum((dN/dt - F(N)) .^ 2) with F given through call.
    Ids build(Tape& t, const Mat& times) const
    {
        t.clear();
        const Tape::Id w1 = t.param(W1), c1 = t.param(b1), w2 = t.param(W2), c2 = t.param(b2);
        const Tape::Id T = t.input(times);
        const Tape::Id Z = t.add_row(t.matmul(T, w1), c1);
        const Tape::Id N = t.add_row(t.matmul_t((t.*act.f)(Z), w2), c2);
        const Tape::Id dNdt = t.matmul_t(t.mul_row((t.*act.d1)(Z), w1), w2);
        const Tape::Id F = t.call({N}, oscillator, oscillator_vjp);
        return {N, dNdt, t.sum(t.square(t.sub(dNdt, F)))};
    }
};

} // namespace

TEST_CASE("ad: PINN residual sum((dN/dt - F(N))^2) with F through call matches finite differences")
{
    const Activation acts[] = {{"tanh", &Tape::tanh, &Tape::tanh_d1},
                               {"silu", &Tape::silu, &Tape::silu_d1},
                               {"gelu", &Tape::gelu, &Tape::gelu_d1}};
    for (const Activation& act : acts) {
        CAPTURE(std::string(act.name));
        Rng rng(17);
        const Index n = 6, h = 5;
        Pinn m{random_mat(rng, 1, h), random_mat(rng, 1, h), random_mat(rng, 2, h),
               random_mat(rng, 1, 2), act};
        const Mat times = random_mat(rng, n, 1);
        Tape t;
        const double eps = 1e-6;

        // dN/dt on the tape is the time derivative of N
        {
            const Mat dNdt = t.value(m.build(t, times).dNdt);
            const Mat np = t.value(m.build(t, (times.array() + eps).matrix()).N);
            const Mat nm = t.value(m.build(t, (times.array() - eps).matrix()).N);
            const Mat fd = (np - nm) / (2 * eps);
            CHECK((dNdt - fd).norm() / fd.norm() < 1e-8);
        }

        const Pinn::Ids ids = m.build(t, times);
        // the call node's value is F(N), computed as it was recorded
        Mat F;
        oscillator({&t.value(ids.N)}, F);
        CHECK(t.value(ids.L)(0, 0) == doctest::Approx((t.value(ids.dNdt) - F).squaredNorm()));
        t.backward(ids.L);
        const std::vector<Mat> grads = {t.grad(0), t.grad(1), t.grad(2), t.grad(3)};
        for (int j = 0; j < 4; ++j) {
            CAPTURE(j);
            Pinn q = m;
            Mat* w = j == 0 ? &q.W1 : j == 1 ? &q.b1 : j == 2 ? &q.W2 : &q.b2;
            const Mat w0 = *w;
            Mat fd(w0.rows(), w0.cols());
            for (Index e = 0; e < w0.size(); ++e) {
                *w = w0;
                (*w)(e) += eps;
                const double lp = t.value(q.build(t, times).L)(0, 0);
                *w = w0;
                (*w)(e) -= eps;
                const double lm = t.value(q.build(t, times).L)(0, 0);
                fd(e) = (lp - lm) / (2 * eps);
            }
            REQUIRE(fd.norm() > 1e-3);
            CHECK((grads[j] - fd).norm() / fd.norm() < 1e-6);
        }
    }
}

TEST_CASE("ad: each activation derivative op is the derivative of the one before")
{
    const std::vector<std::pair<const char*, std::vector<Unary>>> chains = {
        {"tanh", {&Tape::tanh, &Tape::tanh_d1, &Tape::tanh_d2, &Tape::tanh_d3}},
        {"softplus", {&Tape::softplus, &Tape::sigmoid, &Tape::sigmoid_d1, &Tape::sigmoid_d2}},
        {"sin", {&Tape::sin, &Tape::cos}},
        {"silu", {&Tape::silu, &Tape::silu_d1, &Tape::silu_d2, &Tape::silu_d3}},
        {"gelu", {&Tape::gelu, &Tape::gelu_d1, &Tape::gelu_d2, &Tape::gelu_d3}},
    };
    const Mat x = Vec::LinSpaced(161, -8.0, 8.0);
    const double h = 1e-5;
    Tape t;
    for (const auto& chain : chains) {
        for (std::size_t k = 0; k + 1 < chain.second.size(); ++k) {
            CAPTURE(std::string(chain.first));
            CAPTURE(k);
            const Unary f = chain.second[k], d = chain.second[k + 1];
            t.clear();
            const Tape::Id xp = t.input((x.array() + h).matrix());
            const Tape::Id xm = t.input((x.array() - h).matrix());
            const Tape::Id x0 = t.input(x);
            // value() references move when the tape grows: record everything first
            const Tape::Id fp = (t.*f)(xp), fm = (t.*f)(xm), dx = (t.*d)(x0);
            const Mat fd = (t.value(fp) - t.value(fm)) / (2 * h);
            // truncation ~h^2 |f'''| ~ 1e-9, rounding ~1e-16 / h ~ 1e-11
            CHECK((t.value(dx) - fd).cwiseAbs().maxCoeff() < 1e-8);
        }
    }
}

TEST_CASE("ad: silu and gelu agree with their formulas and have no NaN at large |x|")
{
    const Index n = 20001;
    const Mat x = Vec::LinSpaced(n, -30.0, 30.0);
    Tape tape;
    const Tape::Id a = tape.input(x);
    const Mat s = tape.value(tape.silu(a));
    const Mat g = tape.value(tape.gelu(a));
    double es = 0, eg = 0;
    for (Index i = 0; i < n; ++i) {
        const double xi = x(i);
        es = std::max(es, std::abs(s(i) - xi / (1.0 + std::exp(-xi))));
        eg = std::max(eg, std::abs(g(i) - 0.5 * xi * (1.0 + std::erf(xi / std::sqrt(2.0)))));
    }
    CHECK(es < 1e-14);
    CHECK(eg < 1e-14);
    // GELU(-x) is tiny but relatively accurate in the left tail (erfc, not 1 + erf)
    CHECK(tape.value(tape.gelu(tape.input(Mat::Constant(1, 1, -10.0))))(0, 0) ==
          doctest::Approx(-10.0 * 0.5 * std::erfc(10.0 / std::sqrt(2.0))).epsilon(1e-13));

    Mat big(1, 6);
    big << -1000.0, 1000.0, -1e300, 1e300, -0.0, 1e-300;
    const Tape::Id b = tape.param(big);
    const std::vector<Tape::Id> outs = {tape.silu(b),    tape.silu_d1(b), tape.silu_d2(b),
                                        tape.silu_d3(b), tape.gelu(b),    tape.gelu_d1(b),
                                        tape.gelu_d2(b), tape.gelu_d3(b)};
    Tape::Id total = -1;
    for (Tape::Id o : outs) {
        CHECK(tape.value(o).allFinite());
        const Tape::Id so = tape.sum(o);
        total = total < 0 ? so : tape.add(total, so);
    }
    CHECK(tape.value(outs[0])(1) == 1000.0);
    CHECK(tape.value(outs[4])(1) == 1000.0);
    CHECK(tape.value(outs[4])(0) == 0.0);
    CHECK(tape.value(outs[5])(1) == 1.0);
    tape.backward(total);
    CHECK(tape.grad(b).allFinite());
}
