// lib/ad: every Op's backward against central finite differences (a table that must cover
// every Op value), shape errors.
#include "ad/tape.hpp"
#include "core/rng.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

using namespace flowkit;
using ad::Op;
using ad::Tape;

namespace {

/// A random input of the given shape, uniform on [lo, hi].
struct Spec
{
    Index rows, cols;
    double lo = -1.5, hi = 1.5;
};

/// Builds op(inputs) on the tape from the param ids of the inputs.
using Build = std::function<Tape::Id(Tape&, const std::vector<Tape::Id>&)>;

struct Case
{
    Op op;
    std::vector<Spec> inputs;
    Build build;
};

Mat random_mat(Rng& rng, Index rows, Index cols, double lo, double hi)
{
    Mat m(rows, cols);
    for (Index j = 0; j < cols; ++j)
        for (Index i = 0; i < rows; ++i)
            m(i, j) = rng.uniform(lo, hi);
    return m;
}

/// A unary op on a 5 x 3 input in [lo, hi].
Case unary(Op op, Tape::Id (Tape::*f)(Tape::Id), double lo = -2.0, double hi = 2.0)
{
    return {op, {{5, 3, lo, hi}}, [f](Tape& t, const std::vector<Tape::Id>& in) {
                return (t.*f)(in[0]);
            }};
}

/// A binary op on two 5 x 3 inputs; the second in [lo, hi].
Case binary(Op op, Tape::Id (Tape::*f)(Tape::Id, Tape::Id), double lo = -1.5, double hi = 1.5)
{
    return {op, {{5, 3}, {5, 3, lo, hi}}, [f](Tape& t, const std::vector<Tape::Id>& in) {
                return (t.*f)(in[0], in[1]);
            }};
}

/// F(x, y) = [sin(x) .* y, x .^ 2] (columns side by side) for Op::Call, with its VJP.
void sin_mul_square(const std::vector<const Mat*>& in, Mat& out)
{
    const Mat& x = *in[0];
    const Mat& y = *in[1];
    out.resize(x.rows(), 2 * x.cols());
    out.leftCols(x.cols()) = (x.array().sin() * y.array()).matrix();
    out.rightCols(x.cols()) = x.array().square().matrix();
}

void sin_mul_square_vjp(const std::vector<const Mat*>& in, const Mat&, const Mat& g,
                        const std::vector<Mat*>& grads)
{
    const Mat& x = *in[0];
    const Mat& y = *in[1];
    const auto gl = g.leftCols(x.cols()).array();
    const auto gr = g.rightCols(x.cols()).array();
    if (grads[0])
        grads[0]->array() += gl * x.array().cos() * y.array() + 2.0 * gr * x.array();
    if (grads[1])
        grads[1]->array() += gl * x.array().sin();
}

std::vector<Case> all_cases()
{
    using Ids = const std::vector<Tape::Id>&;
    Mat c(5, 3);
    c << 0.3, -1.2, 2.0, 0.7, 0.1, -0.4, 1.5, -0.9, 0.2, -2.2, 0.8, 1.1, 0.6, -0.5, 1.3;
    return {
        // an input times a param: the input must stay out of the gradient
        {Op::Input, {{5, 3}}, [c](Tape& t, Ids in) { return t.mul(t.input(c), in[0]); }},
        {Op::Param, {{5, 3}}, [](Tape&, Ids in) { return in[0]; }},
        {Op::MatMul, {{5, 3}, {3, 4}}, [](Tape& t, Ids in) { return t.matmul(in[0], in[1]); }},
        {Op::MatMulT, {{5, 3}, {4, 3}}, [](Tape& t, Ids in) { return t.matmul_t(in[0], in[1]); }},
        binary(Op::Add, &Tape::add),
        binary(Op::Sub, &Tape::sub),
        binary(Op::Mul, &Tape::mul),
        binary(Op::Div, &Tape::div, 0.5, 2.0),
        {Op::Scale, {{5, 3}}, [](Tape& t, Ids in) { return t.scale(in[0], -1.7); }},
        {Op::AddScalar, {{5, 3}}, [](Tape& t, Ids in) { return t.add_scalar(in[0], 0.3); }},
        {Op::AddRowBroadcast, {{5, 3}, {1, 3}},
         [](Tape& t, Ids in) { return t.add_row(in[0], in[1]); }},
        {Op::MulRowBroadcast, {{5, 3}, {1, 3}},
         [](Tape& t, Ids in) { return t.mul_row(in[0], in[1]); }},
        unary(Op::SumRows, &Tape::sum_rows),
        unary(Op::SumCols, &Tape::sum_cols),
        unary(Op::Sum, &Tape::sum),
        unary(Op::Mean, &Tape::mean),
        unary(Op::Square, &Tape::square),
        {Op::Cols, {{5, 6}}, [](Tape& t, Ids in) { return t.cols(in[0], 2, 3); }},
        {Op::ConcatCols, {{5, 3}, {5, 2}},
         [](Tape& t, Ids in) { return t.concat_cols(in[0], in[1]); }},
        unary(Op::Tanh, &Tape::tanh),
        unary(Op::TanhD1, &Tape::tanh_d1),
        unary(Op::TanhD2, &Tape::tanh_d2),
        unary(Op::TanhD3, &Tape::tanh_d3),
        unary(Op::Sin, &Tape::sin, -4.0, 4.0),
        unary(Op::Cos, &Tape::cos, -4.0, 4.0),
        unary(Op::Softplus, &Tape::softplus, -4.0, 4.0),
        unary(Op::Sigmoid, &Tape::sigmoid, -4.0, 4.0),
        unary(Op::SigmoidD1, &Tape::sigmoid_d1, -4.0, 4.0),
        unary(Op::SigmoidD2, &Tape::sigmoid_d2, -4.0, 4.0),
        unary(Op::Silu, &Tape::silu, -4.0, 4.0),
        unary(Op::SiluD1, &Tape::silu_d1, -4.0, 4.0),
        unary(Op::SiluD2, &Tape::silu_d2, -4.0, 4.0),
        unary(Op::SiluD3, &Tape::silu_d3, -4.0, 4.0),
        unary(Op::Gelu, &Tape::gelu, -4.0, 4.0),
        unary(Op::GeluD1, &Tape::gelu_d1, -4.0, 4.0),
        unary(Op::GeluD2, &Tape::gelu_d2, -4.0, 4.0),
        unary(Op::GeluD3, &Tape::gelu_d3, -4.0, 4.0),
        // a constant third argument: its in_grads entry is null
        {Op::Call, {{5, 3}, {5, 3}},
         [c](Tape& t, Ids in) {
             const Tape::Id k = t.input(c);
             const Tape::Id f = t.call(
                 {in[0], in[1], k},
                 [](const std::vector<const Mat*>& a, Mat& out) { sin_mul_square(a, out); },
                 [](const std::vector<const Mat*>& a, const Mat& out, const Mat& g,
                    const std::vector<Mat*>& grads) {
                     if (grads.size() != 3 || !grads[0] || !grads[1] || grads[2])
                         throw std::logic_error("call: wrong null pattern");
                     sin_mul_square_vjp(a, out, g, grads);
                 });
             return t.add(f, t.concat_cols(k, k));
         }},
    };
}

/// L = sum(W .* op(inputs)) on a fresh build of the tape; inputs are nodes 0, 1, ...
Tape::Id build_loss(Tape& t, const Case& c, const std::vector<Mat>& in, const Mat& w)
{
    t.clear();
    std::vector<Tape::Id> ids;
    for (const Mat& m : in)
        ids.push_back(t.param(m));
    return t.sum(t.mul(t.input(w), c.build(t, ids)));
}

} // namespace

TEST_CASE("ad: every op's gradient matches central finite differences")
{
    const std::vector<Case> cases = all_cases();
    Rng rng(3);
    const double h = 1e-6;
    for (int k = 0; k < static_cast<int>(Op::Count); ++k) {
        const Op op = static_cast<Op>(k);
        CAPTURE(std::string(ad::op_name(op)));
        const auto it =
            std::find_if(cases.begin(), cases.end(), [op](const Case& c) { return c.op == op; });
        REQUIRE_MESSAGE(it != cases.end(), "no gradient test for this op");
        const Case& c = *it;

        std::vector<Mat> in;
        for (const Spec& s : c.inputs)
            in.push_back(random_mat(rng, s.rows, s.cols, s.lo, s.hi));
        Tape t;
        std::vector<Tape::Id> ids;
        for (const Mat& m : in)
            ids.push_back(t.param(m));
        const Mat& y = t.value(c.build(t, ids));
        const Mat w = random_mat(rng, y.rows(), y.cols(), -1.0, 1.0);

        const Tape::Id loss = build_loss(t, c, in, w);
        bool has_op = false;
        for (Tape::Id i = 0; i < t.size(); ++i)
            has_op = has_op || t.op(i) == op;
        CHECK(has_op);
        t.backward(loss);
        std::vector<Mat> grads;
        for (Tape::Id i = 0; i < static_cast<Tape::Id>(in.size()); ++i)
            grads.push_back(t.grad(i));

        for (std::size_t j = 0; j < in.size(); ++j) {
            CAPTURE(j);
            Mat fd(in[j].rows(), in[j].cols());
            Tape f;
            for (Index e = 0; e < in[j].size(); ++e) {
                std::vector<Mat> plus = in, minus = in;
                plus[j](e) += h;
                minus[j](e) -= h;
                const double lp = f.value(build_loss(f, c, plus, w))(0, 0);
                const double lm = f.value(build_loss(f, c, minus, w))(0, 0);
                fd(e) = (lp - lm) / (2 * h);
            }
            // truncation ~h^2 = 1e-12, rounding ~eps |L| / h ~ 1e-10 against |grad| ~ 1
            REQUIRE(fd.norm() > 1e-3);
            const double rel = (grads[j] - fd).norm() / fd.norm();
            CHECK(rel < 1e-6);
        }
    }
}

TEST_CASE("ad: the input of Op::Input gets no gradient, a param one of its shape")
{
    Tape t;
    const Tape::Id x = t.input(Mat::Ones(2, 3));
    const Tape::Id p = t.param(Mat::Constant(2, 3, 2.0));
    const Tape::Id l = t.sum(t.mul(x, p));
    CHECK(!t.needs_grad(x));
    CHECK(t.needs_grad(l));
    t.backward(l);
    CHECK_THROWS_AS(t.grad(x), std::invalid_argument);
    CHECK(t.grad(p).isApprox(Mat::Ones(2, 3)));
}

TEST_CASE("ad: shape errors name the op and both shapes, and leave the tape as it was")
{
    Tape t;
    const Tape::Id a = t.param(Mat::Zero(5, 3));
    const Tape::Id b = t.param(Mat::Zero(5, 3));
    const Tape::Id r = t.param(Mat::Zero(1, 4));
    const Tape::Id n = t.size();
    auto message = [](auto f) {
        try {
            f();
        } catch (const std::invalid_argument& e) {
            return std::string(e.what());
        }
        return std::string("no throw");
    };
    CHECK(message([&] { t.matmul(a, b); }) == "ad::matmul: shapes 5x3 and 5x3 do not match");
    CHECK(message([&] { t.add_row(a, r); }) == "ad::add_row: shapes 5x3 and 1x4 do not match");
    CHECK(message([&] { t.mul(a, r); }) == "ad::mul: shapes 5x3 and 1x4 do not match");
    CHECK(message([&] { t.matmul_t(a, r); }) == "ad::matmul_t: shapes 5x3 and 1x4 do not match");
    CHECK(message([&] { t.concat_cols(a, r); }) ==
          "ad::concat_cols: shapes 5x3 and 1x4 do not match");
    CHECK(message([&] { t.cols(a, 2, 2); }).find("ad::cols") == 0);
    CHECK(message([&] { t.add(a, 99); }).find("ad::add") == 0);
    CHECK(message([&] { t.backward(a); }) == "ad::backward: loss must be 1x1 (got 5x3)");
    CHECK(t.size() == n);
}

TEST_CASE("ad: call passes the argument values, adds into gradients, reuses its record")
{
    Tape t;
    const Mat xv = Mat::Constant(2, 2, 0.5);
    const Mat yv = Mat::Constant(2, 2, 3.0);
    int forwards = 0, backwards = 0;
    const Tape::Forward f = [&](const std::vector<const Mat*>& in, Mat& out) {
        ++forwards;
        sin_mul_square(in, out);
    };
    const Tape::Backward b = [&](const std::vector<const Mat*>& in, const Mat& out,
                                 const Mat& g, const std::vector<Mat*>& grads) {
        ++backwards;
        sin_mul_square_vjp(in, out, g, grads);
    };
    for (int round = 0; round < 2; ++round) {
        t.clear();
        const Tape::Id x = t.param(xv);
        const Tape::Id y = t.input(yv);
        const Tape::Id c = t.call({x, y}, f, b);
        CHECK(t.op(c) == Op::Call);
        CHECK(t.needs_grad(c));
        CHECK(t.value(c).rows() == 2);
        CHECK(t.value(c).cols() == 4);
        CHECK(t.value(c)(0, 0) == doctest::Approx(std::sin(0.5) * 3.0));
        CHECK(t.value(c)(1, 3) == doctest::Approx(0.25));
        // x is used twice: sum(call) + sum(x); the call adds into x's gradient
        const Tape::Id l = t.sum(t.add(t.cols(c, 0, 2), x));
        t.backward(l);
        CHECK(t.grad(x).isApprox(Mat::Constant(2, 2, 1.0 + 3.0 * std::cos(0.5))));
    }
    CHECK(forwards == 2);
    CHECK(backwards == 2);

    // inputs only: no gradient, no backward needed
    const Tape::Id k = t.input(xv);
    const Tape::Id c0 = t.call({k, k}, f, nullptr);
    CHECK(!t.needs_grad(c0));
    // no arguments: a constant
    const Tape::Id c1 =
        t.call({}, [](const std::vector<const Mat*>&, Mat& out) { out = Mat::Ones(1, 1); }, nullptr);
    CHECK(t.value(c1)(0, 0) == 1.0);
    CHECK(!t.needs_grad(c1));
}

TEST_CASE("ad: call errors name call and leave the tape as it was")
{
    Tape t;
    const Tape::Id a = t.param(Mat::Zero(2, 2));
    const Tape::Id n = t.size();
    const Tape::Forward copy = [](const std::vector<const Mat*>& in, Mat& out) { out = *in[0]; };
    auto message = [](auto f) {
        try {
            f();
        } catch (const std::exception& e) {
            return std::string(e.what());
        }
        return std::string("no throw");
    };
    CHECK(message([&] { t.call({a, 7}, copy, nullptr); }).find("ad::call: node 7") == 0);
    CHECK(message([&] { t.call({a}, nullptr, nullptr); }) == "ad::call: no forward function");
    CHECK(message([&] { t.call({a}, copy, nullptr); }).find("ad::call: an argument") == 0);
    CHECK(message([&] {
              t.call({a},
                     [](const std::vector<const Mat*>&, Mat&) {
                         throw std::invalid_argument("F failed");
                     },
                     [](const std::vector<const Mat*>&, const Mat&, const Mat&,
                        const std::vector<Mat*>&) {});
          }) == "F failed");
    CHECK(t.size() == n);

    const Tape::Id c = t.call({a}, copy,
                              [](const std::vector<const Mat*>&, const Mat&, const Mat&,
                                 const std::vector<Mat*>& grads) { grads[0]->resize(1, 1); });
    const Tape::Id l = t.sum(c);
    CHECK(message([&] { t.backward(l); }) ==
          "ad::call: the backward function changed the gradient of argument 0 from 2x2 to 1x1");
}
