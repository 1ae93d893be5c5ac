// lib/expr Program: batch evaluation equals pointwise Expr::eval, CSE, scratch reuse, edge sizes.
#include "expr/program.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

using flowkit::Index;
using flowkit::Mat;
using flowkit::Vec;
using flowkit::expr::Expr;
using flowkit::expr::Program;

namespace {

const std::vector<std::string> hh = {"x", "y", "px", "py"};

std::vector<Expr> henon_field()
{
    const Expr h = Expr::parse("(px^2+py^2)/2 + (x^2+y^2)/2 + x^2*y - y^3/3", hh);
    return {h.derivative(2), h.derivative(3), -h.derivative(0), -h.derivative(1)};
}

Mat random_rows(Index n, Index d, double lo, double hi, unsigned seed)
{
    std::mt19937 rng(seed);
    std::uniform_real_distribution<double> u(lo, hi);
    Mat m(n, d);
    for (Index j = 0; j < d; ++j)
        for (Index i = 0; i < n; ++i)
            m(i, j) = u(rng);
    return m;
}

/// Program output equals Expr::eval row by row. Tolerance 1e-14 relative (absolute below 1):
/// the batch path uses Eigen's vectorised exp/log, multiplications for integer powers and its
/// own tanh, each within a few ulp of <cmath>.
void check_matches(const std::vector<Expr>& outs, const Mat& in, const Mat& got)
{
    REQUIRE(got.rows() == in.rows());
    REQUIRE(got.cols() == static_cast<Index>(outs.size()));
    std::vector<double> row(static_cast<std::size_t>(in.cols()));
    int bad = 0;
    for (Index i = 0; i < in.rows(); ++i) {
        for (Index j = 0; j < in.cols(); ++j)
            row[static_cast<std::size_t>(j)] = in(i, j);
        for (std::size_t k = 0; k < outs.size(); ++k) {
            const double want = outs[k].eval(row.data()), have = got(i, static_cast<Index>(k));
            const double tol = 1e-14 * std::max(1.0, std::abs(want));
            const bool same = std::isnan(want) ? std::isnan(have)
                                               : have == want || std::abs(have - want) <= tol;
            if (!same && bad++ < 5) {
                INFO("row " << i << " output " << k << ": " << have << " vs " << want);
                CHECK(same);
            }
        }
    }
    CHECK(bad == 0);
}

} // namespace

TEST_CASE("expr program: Henon-Heiles field over a batch and row by row")
{
    const auto f = henon_field();
    Program prog(f, 4);
    CHECK(prog.n_vars() == 4);
    CHECK(prog.n_outputs() == 4);
    for (Index n : {0, 1, 2, 3, 4, 5, 17, 500}) {
        const Mat x = random_rows(n, 4, -1, 1, 7 + static_cast<unsigned>(n));
        Mat out;
        prog.eval(x, out);
        CHECK(out.rows() == n);
        check_matches(f, x, out);
    }
}

TEST_CASE("expr program: every function, shared subexpressions")
{
    const std::vector<std::string> v = {"a", "b", "c"};
    std::vector<Expr> outs;
    for (const char* s : {"sin(a)*cos(b) + sin(a)", "tan(a/3)", "exp(a) - exp(-b)",
                          "log(1 + b^2)", "sqrt(1 + c^2)", "tanh(3*a)", "sinh(b) + cosh(b)",
                          "abs(a - b)", "sign(a)", "pow(1 + c^2, a)", "atan2(a, b)", "atan2(2, b)",
                          "atan2(a, -1)", "2^a", "a^3", "b^4", "c^5", "a^6",
                          "b^7", "c^8", "b^-2", "(1+a^2)^-3",
                          "(1+a^2)^-1", "(1 + b^2)^0.5", "(1+c^2)^1.7", "sin(a)*sin(a)^2",
                          "1/(a - 3)", "2 - a", "a - 2", "a/2", "(a*b + c)^2 - (a*b + c)",
                          "a", "3.5", "sin(a)*cos(b) + sin(a)"}) {
        outs.push_back(Expr::parse(s, v));
    }
    const Expr shared = Expr::parse("exp(-(a^2 + b^2))", v);
    outs.push_back(shared.derivative(0));
    outs.push_back(shared.derivative(1));
    outs.push_back(shared.derivative(0).derivative(1));
    Program prog(outs, 3);
    for (Index n : {1, 3, 4, 300}) {
        const Mat x = random_rows(n, 3, -2, 2, 99);
        Mat out;
        prog.eval(x, out);
        check_matches(outs, x, out);
    }
}

TEST_CASE("expr program: tanh over its whole range")
{
    const double inf = std::numeric_limits<double>::infinity();
    std::vector<double> xs = {0.0,  -0.0, 5e-324, 1e-300, -1e-20, 1e-16, 1e-10, -3e-8, 1e-4,
                              0.01, -0.3, 0.55,   -0.9,   1.7,    -5,    19.1,  -22,   40,
                              400,  -800, inf,    -inf,   std::numeric_limits<double>::quiet_NaN()};
    std::mt19937 rng(3);
    std::uniform_real_distribution<double> expo(-20, 1.5), sgn(-1, 1);
    for (int i = 0; i < 2000; ++i)
        xs.push_back((sgn(rng) < 0 ? -1 : 1) * std::pow(10.0, expo(rng)));
    Mat in(static_cast<Index>(xs.size()), 1);
    for (std::size_t i = 0; i < xs.size(); ++i)
        in(static_cast<Index>(i), 0) = xs[i];
    Program prog({tanh(Expr::variable(0))}, 1);
    Mat out;
    prog.eval(in, out);
    for (std::size_t i = 0; i < xs.size(); ++i) {
        const double want = std::tanh(xs[i]), have = out(static_cast<Index>(i), 0);
        INFO("x = " << xs[i] << ": " << have << " vs " << want);
        if (std::isnan(want))
            CHECK(std::isnan(have));
        else   // 8 ulp (vectorised exp, log and Kahan's expm1)
            CHECK((have == want || std::abs(have - want) <= 1e-15 * std::abs(want)));
        CHECK(std::signbit(have) == std::signbit(want));
    }
}

TEST_CASE("expr program: CSE and scratch reuse")
{
    const Expr x = Expr::variable(0), y = Expr::variable(1), z = Expr::variable(2);
    // sin(x) is computed once, straight into output 2
    Program p1({sin(x) * y, sin(x) * z, sin(x)}, 3);
    CHECK(p1.n_instructions() == 3);
    CHECK(p1.n_scratch() == 0);
    // a long sum keeps only a couple of live columns
    Expr s;
    for (int k = 1; k <= 50; ++k)
        s = s + sin(double(k) * x) / double(k);
    Program p2({s}, 1);
    CHECK(p2.n_scratch() <= 3);
    const Mat in = random_rows(64, 1, -3, 3, 5);
    Mat out;
    p2.eval(in, out);
    check_matches({s}, in, out);
}

TEST_CASE("expr program: leaf, repeated and non-finite outputs")
{
    const Expr x = Expr::variable(0), y = Expr::variable(1);
    const std::vector<Expr> outs = {y, Expr::constant(2.5), x * y, x * y, x,
                                    Expr::parse("1/0", {}), log(Expr::constant(-1)) * x};
    Program prog(outs, 2);
    for (Index n : {1, 6}) {
        const Mat in = random_rows(n, 2, -1, 1, 3);
        Mat out;
        prog.eval(in, out);
        check_matches(outs, in, out);
        CHECK(std::isinf(out(0, 5)));
        CHECK(std::isnan(out(0, 6)));
    }
}

TEST_CASE("expr program: workspaces, column pointers, blocks, errors")
{
    const auto f = henon_field();
    Program prog(f, 4);
    const Mat big = random_rows(40, 6, -1, 1, 11);
    Mat a, b;
    prog.eval(big.middleCols(1, 4), a);
    Program::Workspace ws;
    const Mat x = big.middleCols(1, 4);
    prog.eval(x, b, ws);
    CHECK(a == b);
    check_matches(f, x, a);

    // time from a separate vector, outputs into a block of a larger matrix
    const Expr t = Expr::variable(1);
    Program g({Expr::variable(0) * t, cos(t)}, 2);
    Vec tv = Vec::LinSpaced(40, 0, 1);
    Mat dst = Mat::Zero(40, 3);
    const double* in[] = {big.col(0).data(), tv.data()};
    double* out[] = {dst.col(2).data(), dst.col(0).data()};
    g.eval(in, 40, out, ws);
    for (Index i = 0; i < 40; ++i) {
        CHECK(dst(i, 2) == big(i, 0) * tv(i));
        CHECK(dst(i, 0) == std::cos(tv(i)));
        CHECK(dst(i, 1) == 0);
    }

    CHECK_THROWS_AS(Program({Expr::variable(3)}, 2), std::invalid_argument);
    Mat o;
    CHECK_THROWS_AS(prog.eval(Mat(5, 3), o), std::invalid_argument);
    Program empty;
    CHECK(empty.n_outputs() == 0);
    empty.eval(Mat(4, 0), o);
    CHECK(o.rows() == 4);
    CHECK(o.cols() == 0);
}
