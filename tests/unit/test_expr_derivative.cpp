// lib/expr derivatives: every function and composite Hamiltonians against central differences,
// second derivatives, separability.
#include "expr/expr.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

using flowkit::Index;
using flowkit::expr::Expr;

namespace {

/// d f / d x_i at x by 4th-order central differences, h = 1e-3 (1 + |x_i|): truncation
/// ~h^4 f^(5) ~ 1e-12 and rounding ~eps |f| / h ~ 1e-13, far below the 1e-7 tolerance.
double fd(const Expr& f, std::vector<double> x, Index i)
{
    const auto k = static_cast<std::size_t>(i);
    const double x0 = x[k], h = 1e-3 * (1 + std::abs(x0));
    auto at = [&](double s) {
        x[k] = x0 + s * h;
        return f.eval(x.data());
    };
    return (8 * (at(1) - at(-1)) - (at(2) - at(-2))) / (12 * h);
}

/// Every first and second partial derivative of f at each point agrees with differences of f and
/// of the symbolic first derivative (relative 1e-7, absolute below 1).
void check_derivatives(const Expr& f, Index n, const std::vector<std::vector<double>>& points,
                       const std::vector<std::string>& names)
{
    for (const auto& x : points) {
        for (Index i = 0; i < n; ++i) {
            const Expr di = f.derivative(i);
            INFO(f.to_string(names) << "  d/d" << names[static_cast<std::size_t>(i)] << " = "
                                    << di.to_string(names) << "  at " << x[0]);
            const double exact = di.eval(x.data());
            CHECK(std::abs(exact - fd(f, x, i)) <= 1e-7 * std::max(1.0, std::abs(exact)));
            for (Index j = 0; j < n; ++j) {
                const Expr dij = di.derivative(j);
                const double second = dij.eval(x.data());
                CHECK(std::abs(second - fd(di, x, j)) <= 1e-7 * std::max(1.0, std::abs(second)));
                // symmetry of the Hessian (different symbolic paths)
                CHECK(std::abs(second - f.derivative(j).derivative(i).eval(x.data()))
                      <= 1e-12 * std::max(1.0, std::abs(second)));
            }
        }
    }
}

const std::vector<std::string> xy = {"x", "y"};

} // namespace

TEST_CASE("expr derivative: every function")
{
    const std::vector<std::vector<double>> pts = {{0.3, 0.8}, {-0.7, 1.9}, {1.2, 0.45}};
    for (const char* s : {"sin(x)", "cos(x)", "tan(x)", "exp(x)", "log(y)", "sqrt(y)", "tanh(x)",
                          "sinh(x)", "cosh(x)", "abs(x)", "x^3", "x^-2", "y^2.5", "2^x",
                          "pow(y, x)", "y^x", "atan2(x, y)", "atan2(y, x)", "x/y", "x*y",
                          "x - y", "-x", "sin(2*x*y + 1)", "log(1 + x^2)/sqrt(y)",
                          "exp(-x^2)*cos(3*y)", "tanh(x*y) - x/(1 + y^2)", "abs(x - 2*y)",
                          "atan2(sin(x), y + 2)", "pow(x^2 + 1, y - x)", "cosh(x)^2 - sinh(x)^2",
                          "tan(x/2)*sign(y)"}) {
        check_derivatives(Expr::parse(s, xy), 2, pts, xy);
    }
}

TEST_CASE("expr derivative: exact forms")
{
    const Expr x = Expr::variable(0), y = Expr::variable(1);
    CHECK(pow(x, 3.0).derivative(0) == 3.0 * pow(x, 2.0));
    CHECK(pow(x, 3.0).derivative(0).to_string(xy) == "3*x^2");
    CHECK(pow(x, 2.0).derivative(0) == 2.0 * x);
    CHECK(pow(x, y).derivative(0) == y * pow(x, y - 1.0));   // exponent constant in x: no log
    CHECK(pow(x, y).derivative(0).to_string(xy).find("log") == std::string::npos);
    CHECK(abs(x).derivative(0) == sign(x));
    CHECK(sign(x).derivative(0).is_zero());
    CHECK(sin(x).derivative(1).is_zero());
    CHECK(Expr::constant(3).derivative(0).is_zero());
    CHECK(x.derivative(0) == Expr::constant(1));
    CHECK(x.derivative(1).is_zero());
    const std::vector<std::string> qp = {"q", "p"};
    Expr h = Expr::parse("p^2/2 - cos(q)", qp);
    CHECK(h.derivative(0) == Expr::parse("sin(q)", qp));
    CHECK(h.derivative(1) == Expr::parse("p", qp));
}

TEST_CASE("expr derivative: Hamiltonians and second derivatives")
{
    const std::vector<std::string> qp = {"q", "p"};
    check_derivatives(Expr::parse("p^2/2 - cos(q)", qp), 2, {{0.3, -1.1}, {2.9, 0.4}}, qp);

    const std::vector<std::string> hh = {"x", "y", "px", "py"};
    const Expr henon = Expr::parse("(px^2+py^2)/2 + (x^2+y^2)/2 + x^2*y - y^3/3", hh);
    check_derivatives(henon, 4, {{0.1, -0.2, 0.3, 0.05}, {-0.4, 0.35, -0.1, 0.2}}, hh);
    // grad H = (x + 2 x y, y + x^2 - y^2, px, py)
    const double v[] = {0.1, -0.2, 0.3, 0.05};
    CHECK(henon.derivative(0).eval(v) == doctest::Approx(0.1 + 2 * 0.1 * -0.2).epsilon(1e-15));
    CHECK(henon.derivative(1).eval(v) == doctest::Approx(-0.2 + 0.01 - 0.04).epsilon(1e-15));
    CHECK(henon.derivative(2) == Expr::variable(2));

    const std::vector<std::string> kep = {"x", "y", "px", "py"};
    check_derivatives(Expr::parse("(px^2 + py^2)/2 - 1/sqrt(x^2 + y^2)", kep), 4,
                      {{0.8, 0.3, -0.2, 1.1}}, kep);
}

TEST_CASE("expr derivative: separability")
{
    auto separable = [](const Expr& h, Index n) {
        for (Index i = 0; i < n; ++i)
            for (Index j = n; j < 2 * n; ++j)
                if (!h.derivative(i).derivative(j).is_zero())
                    return false;
        return true;
    };
    const std::vector<std::string> hh = {"x", "y", "px", "py"};
    CHECK(separable(Expr::parse("(px^2+py^2)/2 + (x^2+y^2)/2 + x^2*y - y^3/3", hh), 2));
    CHECK(separable(Expr::parse("(px^2 + py^2)/2 - 1/sqrt(x^2 + y^2)", hh), 2));
    CHECK_FALSE(separable(Expr::parse("(px^2+py^2)/2 + x*py", hh), 2));
    const std::vector<std::string> qp = {"q", "p"};
    CHECK(separable(Expr::parse("p^2/2 - cos(q)", qp), 1));
    CHECK(separable(Expr::parse("cosh(p) + q^4 - p*q + q*p", qp), 1));   // p*q - q*p cancels
    CHECK_FALSE(separable(Expr::parse("p^2*q", qp), 1));
    CHECK_FALSE(separable(Expr::parse("exp(p + q)", qp), 1));
}

TEST_CASE("expr derivative: shared subtrees do not blow up")
{
    // f_{k+1} = sin(f_k) + f_k^2: the tree has 2^30 paths, the DAG 4 nodes per level
    Expr f = Expr::variable(0);
    for (int k = 0; k < 30; ++k)
        f = sin(f) + pow(f, 2.0);
    CHECK(f.size() < 150);
    const Expr d = f.derivative(0);
    CHECK(d.size() < 1000);
    const Expr d2 = d.derivative(0);
    CHECK(d2.size() < 5000);
}
