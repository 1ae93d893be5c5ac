// lib/expr parsing: precedence, every function against <cmath>, error columns, printing.
#include "core/error.hpp"
#include "expr/expr.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <functional>
#include <random>
#include <string>
#include <vector>

using flowkit::expr::Expr;
using flowkit::expr::Op;

namespace {

double value_of(const std::string& text, const std::vector<std::string>& vars = {},
                const std::vector<double>& x = {})
{
    return Expr::parse(text, vars).eval(x.data());
}

/// The message of the UsageError that parsing `text` throws ("" when it does not throw).
std::string error_of(const std::string& text, const std::vector<std::string>& vars = {"x", "y"})
{
    try {
        Expr::parse(text, vars);
    }
    catch (const flowkit::UsageError& e) {
        CHECK(e.exit_code() == 64);
        return e.what();
    }
    return "";
}

/// The message names column `col` and its third line is a caret under that column.
void check_points_at(const std::string& msg, std::size_t col)
{
    INFO(msg);
    CHECK(msg.find("column " + std::to_string(col) + " ") != std::string::npos);
    auto last = msg.rfind('\n');
    REQUIRE(last != std::string::npos);
    CHECK(msg.substr(last + 1) == "  " + std::string(col - 1, ' ') + "^");
}

} // namespace

TEST_CASE("expr parse: numbers and precedence")
{
    CHECK(value_of("123") == 123);
    CHECK(value_of("1.5") == 1.5);
    CHECK(value_of("1e-3") == 1e-3);
    CHECK(value_of("1E+2") == 100);
    CHECK(value_of(".5") == 0.5);
    CHECK(value_of("2.") == 2);
    CHECK(value_of("  2 *\t3  ") == 6);
    CHECK(value_of("2^3^2") == 512);
    CHECK(value_of("-2^2") == -4);
    CHECK(value_of("(-2)^2") == 4);
    CHECK(value_of("1-2-3") == -4);
    CHECK(value_of("8/2/2") == 2);
    CHECK(value_of("2+3*4") == 14);
    CHECK(value_of("(2+3)*4") == 20);
    CHECK(value_of("2*3^2") == 18);
    CHECK(value_of("2^-1") == 0.5);
    CHECK(value_of("2^-2^2") == 1.0 / 16);
    CHECK(value_of("-2*3") == -6);
    CHECK(value_of("2*-3") == -6);
    CHECK(value_of("--2") == 2);
    CHECK(value_of("+3") == 3);
    CHECK(value_of("-x^2", {"x"}, {3}) == -9);
    CHECK(value_of("p^2/2 + q*z", {"q", "p", "z"}, {2, 3, 5}) == 4.5 + 10);
}

TEST_CASE("expr parse: every function against <cmath>")
{
    const std::vector<std::string> vars = {"x", "y"};
    for (double x : {-1.3, -0.2, 0.0, 0.4, 0.9, 2.7}) {
        const double ax = std::abs(x) + 0.1;
        const double v[] = {x, ax};
        INFO("x = " << x);
        CHECK(Expr::parse("sin(x)", vars).eval(v) == std::sin(x));
        CHECK(Expr::parse("cos(x)", vars).eval(v) == std::cos(x));
        CHECK(Expr::parse("tan(x)", vars).eval(v) == std::tan(x));
        CHECK(Expr::parse("exp(x)", vars).eval(v) == std::exp(x));
        CHECK(Expr::parse("log(y)", vars).eval(v) == std::log(ax));
        CHECK(Expr::parse("sqrt(y)", vars).eval(v) == std::sqrt(ax));
        CHECK(Expr::parse("tanh(x)", vars).eval(v) == std::tanh(x));
        CHECK(Expr::parse("sinh(x)", vars).eval(v) == std::sinh(x));
        CHECK(Expr::parse("cosh(x)", vars).eval(v) == std::cosh(x));
        CHECK(Expr::parse("abs(x)", vars).eval(v) == std::abs(x));
        CHECK(Expr::parse("sign(x)", vars).eval(v) == (x > 0 ? 1 : x < 0 ? -1 : 0));
        CHECK(Expr::parse("pow(y, x)", vars).eval(v) == std::pow(ax, x));
        CHECK(Expr::parse("y^x", vars).eval(v) == std::pow(ax, x));
        CHECK(Expr::parse("atan2(x, y)", vars).eval(v) == std::atan2(x, ax));
        CHECK(Expr::parse("atan2(y, x)", vars).eval(v) == std::atan2(ax, x));
    }
    // constant arguments fold to the same numbers
    CHECK(Expr::parse("sin(0.5)", {}).constant_value() == std::sin(0.5));
    CHECK(Expr::parse("atan2(1, -2)", {}).constant_value() == std::atan2(1.0, -2.0));
}

TEST_CASE("expr parse: variables and constants")
{
    const std::map<std::string, double> k = {{"k", 2.5}, {"x", 100}};
    Expr e = Expr::parse("k*x + k", {"x"}, k);   // x is a variable: variables win
    const double v[] = {2};
    CHECK(e.eval(v) == 7.5);
    CHECK(Expr::parse("k*2", {}, k).is_constant());
    CHECK(Expr::parse("k*2", {}, k).constant_value() == 5);
    CHECK(e.depends_on(0));
    CHECK_FALSE(e.depends_on(1));
    const std::vector<flowkit::Index> all = {0, 1, 2};
    CHECK(Expr::parse("b + a_1*c2", {"a_1", "b", "c2"}).variables() == all);
}

TEST_CASE("expr parse: errors point at the character")
{
    const std::vector<std::string> qpz = {"q", "p"};
    std::string m = error_of("p^2/2 + q*z", qpz);
    CHECK(m == "unknown variable 'z' at column 11 in expression:\n  p^2/2 + q*z\n            ^");

    m = error_of("foo(x)");
    CHECK(m.find("unknown function 'foo'") != std::string::npos);
    check_points_at(m, 1);
    check_points_at(error_of("1 + bar(x)"), 5);

    m = error_of("1 + pow(x)");
    CHECK(m.find("'pow' takes 2 arguments, got 1") != std::string::npos);
    check_points_at(m, 5);
    check_points_at(error_of("sin(x, y)"), 1);
    check_points_at(error_of("atan2(x, y, 1)"), 1);
    check_points_at(error_of("x*cos()"), 3);

    m = error_of("(x + 1");
    CHECK(m.find("unbalanced parenthesis") != std::string::npos);
    check_points_at(m, 1);
    check_points_at(error_of("2*sin(x"), 6);
    check_points_at(error_of("((x)"), 1);
    m = error_of("x + 1)");
    CHECK(m.find("unbalanced parenthesis") != std::string::npos);
    check_points_at(m, 6);

    m = error_of("x $ 1");
    CHECK(m.find("unexpected character '$'") != std::string::npos);
    check_points_at(m, 3);
    check_points_at(error_of("x + 1.5.2"), 8);

    m = error_of("x +");
    CHECK(m.find("unexpected end") != std::string::npos);
    check_points_at(m, 4);
    check_points_at(error_of(""), 1);
    check_points_at(error_of("x y"), 3);
    check_points_at(error_of("2x"), 2);
    check_points_at(error_of("x + * y"), 5);
    check_points_at(error_of("x, y"), 2);
    check_points_at(error_of("sin + 1"), 1);
    check_points_at(error_of("1e999 + x"), 1);
    check_points_at(error_of("x;y"), 2);   // ';' only in lists
}

TEST_CASE("expr parse: lists")
{
    const std::vector<std::string> qp = {"q", "p"};
    auto f = Expr::parse_list("p; -sin(q)", qp);
    REQUIRE(f.size() == 2);
    CHECK(f[0] == Expr::variable(1));
    CHECK(f[1] == -sin(Expr::variable(0)));
    CHECK(Expr::parse_list("p; q;", qp).size() == 2);
    CHECK(Expr::parse_list("p", qp).size() == 1);
    try {
        Expr::parse_list("p; -sin(z)", qp);
        FAIL("no error");
    }
    catch (const flowkit::UsageError& e) {
        check_points_at(e.what(), 9);
    }
    CHECK_THROWS_AS(Expr::parse_list("p;; q", qp), flowkit::UsageError);
    CHECK_THROWS_AS(Expr::parse_list("", qp), flowkit::UsageError);
}

TEST_CASE("expr simplify: identities and sharing")
{
    const Expr x = Expr::variable(0), y = Expr::variable(1);
    CHECK(x + 0.0 == x);
    CHECK(0.0 + x == x);
    CHECK(x - 0.0 == x);
    CHECK(x * 1.0 == x);
    CHECK(1.0 * x == x);
    CHECK((x * 0.0).is_zero());
    CHECK((0.0 * sin(x)).is_zero());
    CHECK(x / 1.0 == x);
    CHECK(pow(x, 1.0) == x);
    CHECK(pow(x, 0.0) == Expr::constant(1));
    CHECK(-(-x) == x);
    CHECK((x - x).is_zero());
    CHECK(x / x == Expr::constant(1));
    CHECK((Expr::constant(2) * Expr::constant(3)).constant_value() == 6);
    CHECK(x * x == pow(x, 2.0));
    CHECK((2.0 * x) / 2.0 == x);
    CHECK((2.0 * x) / (2.0 * y) == x / y);
    CHECK((6.0 * x) / (2.0 * y) == 3.0 * x / y);
    CHECK(pow(sqrt(x), 2.0) == x);
    CHECK(pow(sqrt(x), 4.0) == pow(x, 2.0));
    CHECK((x / y) * y == x);
    CHECK(x * (1.0 / y) == x / y);
    CHECK((x + 1.0) + 2.0 == x + 3.0);
    CHECK((x - 1.0) - 1.0 == x - 2.0);
    CHECK((x + 1.0) - 1.0 == x);
    CHECK(x + (-2.0) * y == x - 2.0 * y);
    CHECK(Expr().is_zero());
    CHECK_FALSE(x.is_zero());
    // hash-consing: equal trees are one node
    const std::vector<std::string> xy = {"x", "y"};
    CHECK(Expr::parse("sin(x)*y", xy).operand(0) == Expr::parse("sin(x)", xy));
    CHECK(Expr::parse("(x + y)^2", xy) == pow(x + y, 2.0));
    CHECK(Expr::parse("(x + y)^2", xy).hash() == pow(x + y, 2.0).hash());
    CHECK(Expr::parse("(x + y)^2 + sin(x + y)", xy).size() == 7);   // x y x+y 2 ^ sin +
    // non-finite results are not folded
    CHECK_FALSE(Expr::parse("1/0", {}).is_constant());
    CHECK(std::isinf(Expr::parse("1/0", {}).eval(nullptr)));
}

TEST_CASE("expr to_string: readable and re-parsable")
{
    const std::vector<std::string> qp = {"q", "p"};
    for (const char* s : {"p^2/2 - cos(q)", "-q^2", "(-2)^q", "q^-2", "2^q^p", "(q^p)^2",
                          "q - (p - 1)", "q/(p*q)", "-q*p", "atan2(q, p + 1)", "pow(q, p)",
                          "-(q + p)", "1e-05*q", "q*(-p)", "sign(q)*abs(p)", "q - 2"}) {
        Expr e = Expr::parse(s, qp);
        INFO(s << " -> " << e.to_string(qp));
        CHECK(Expr::parse(e.to_string(qp), qp) == e);
    }
    CHECK(Expr::parse("p^2/2 - cos(q)", qp).to_string(qp) == "p^2/2 - cos(q)");
    CHECK(Expr::parse("q + -2", qp).to_string(qp) == "q - 2");
    CHECK(Expr::parse("pow(q, p)", qp).to_string(qp) == "q^p");
    CHECK(Expr::parse("0.1*q", qp).to_string(qp) == "0.1*q");
}

TEST_CASE("expr to_string: random expressions round-trip")
{
    std::mt19937 rng(12345);
    const std::vector<std::string> names = {"a", "b", "c"};
    std::uniform_int_distribution<int> pick(0, 99);
    std::uniform_real_distribution<double> num(-3, 3);
    std::function<Expr(int)> gen = [&](int depth) -> Expr {
        int r = pick(rng);
        if (depth == 0 || r < 15) {
            if (r % 3 == 0)
                return Expr::constant(std::round(num(rng) * 4) / 4 + (r % 2 ? 0.1 : 0));
            return Expr::variable(r % 3);
        }
        Expr a = gen(depth - 1);
        switch (r % 13) {
        case 0: return a + gen(depth - 1);
        case 1: return a - gen(depth - 1);
        case 2: return a * gen(depth - 1);
        case 3: return a / gen(depth - 1);
        case 4: return pow(a, gen(depth - 1));
        case 5: return pow(a, Expr::constant(r % 5 - 2));
        case 6: return -a;
        case 7: return sin(a);
        case 8: return atan2(a, gen(depth - 1));
        case 9: return abs(a);
        case 10: return r % 2 ? exp(a) - 1.5 : sqrt(a) / (num(rng) < 0 ? -2.0 : 2.0);
        case 11: return -(a * gen(depth - 1));
        default: return a + Expr::constant(r % 4 - 1.5) * gen(depth - 1);
        }
    };
    const double v[] = {0.7, -1.3, 2.1};
    for (int i = 0; i < 2000; ++i) {
        Expr e = gen(5);
        std::string s = e.to_string(names);
        INFO(s);
        Expr back = Expr::parse(s, names);
        CHECK(back == e);
        const double x = e.eval(v), y = back.eval(v);
        CHECK((x == y || (std::isnan(x) && std::isnan(y))));
    }
}
