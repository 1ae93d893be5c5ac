// Expression trees for user-defined systems (DESIGN.md "Systems"): immutable, hash-consed nodes
// simplified at construction, so equal subtrees are one node (CSE, cheap equality, zero tests).
#pragma once

#include "core/eigen.hpp"

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace flowkit::expr {

/// Node kinds. Sign is not in the user grammar's function list but is parsed (`sign(x)`), since
/// it is d|x|/dx and to_string must re-parse.
enum class Op : std::uint8_t
{
    Const, Var,
    Add, Sub, Mul, Div, Pow, Atan2,
    Neg, Sin, Cos, Tan, Exp, Log, Sqrt, Tanh, Sinh, Cosh, Abs, Sign,
};

namespace detail {

struct Node;
using NodePtr = std::shared_ptr<const Node>;

/// One interned node. Two live nodes with the same (op, var, value bits, children) are the same
/// object, so structural equality is pointer equality.
struct Node
{
    Op op = Op::Const;
    Index var = -1;            // Var: variable index
    double value = 0;          // Const: the number
    NodePtr a, b;              // operands (unary ops use a)
    std::size_t hash = 0;      // structural, deterministic across runs
    std::vector<Index> vars;   // sorted variable indices this node depends on
};

/// Number of operands of `op` (0, 1 or 2).
int arity(Op op);
/// Applies `op` to numbers (the reference semantics that evaluation and folding share).
double apply(Op op, double a, double b = 0);

} // namespace detail

/// An expression over variables x_0, x_1, ...: an immutable value (shared node), cheap to copy.
/// Every constructor simplifies (constant folding, x+0, x*1, x*0, x^1, x^0, --x, x-x, ...).
/// Construction is thread-safe (the intern table is locked).
class Expr
{
public:
    /// The constant 0.
    Expr();

    /// Parses `text`; identifiers must be in `vars` (variable index = position) or in
    /// `constants` (folded to numbers); `vars` wins when a name is in both.
    /// Throws UsageError whose message names the 1-based column and shows the text with a caret.
    static Expr parse(const std::string& text, const std::vector<std::string>& vars,
                      const std::map<std::string, double>& constants = {});
    /// Parses "E1; E2; ..." (a trailing ';' is allowed); error columns count in the whole text.
    static std::vector<Expr> parse_list(const std::string& text,
                                        const std::vector<std::string>& vars,
                                        const std::map<std::string, double>& constants = {});

    static Expr constant(double v);
    /// Variable x_i; throws std::invalid_argument when i < 0.
    static Expr variable(Index i);

    /// Symbolic d/dx_var, simplified. Derivatives of derivatives work.
    Expr derivative(Index var) const;
    /// True when the expression is identically the constant 0 after simplification.
    bool is_zero() const;
    bool is_constant() const;
    /// The number of a constant expression (0 for any other).
    double constant_value() const;
    bool depends_on(Index var) const;
    /// Sorted indices of the variables the expression depends on.
    const std::vector<Index>& variables() const;
    /// Re-parsable text: parse(to_string(vars), vars) gives the same expression. Shortest
    /// round-trip numbers. Variables without a name in `vars` print as x<i> (not re-parsable).
    std::string to_string(const std::vector<std::string>& vars) const;
    /// Value at one point: vars[i] = x_i (not checked against the expression's variables).
    double eval(const double* vars) const;
    /// Number of distinct nodes (the size of the DAG).
    std::size_t size() const;

    Op op() const { return m_node->op; }
    /// Operand i (0 or 1) of a non-leaf expression.
    Expr operand(int i) const;
    const detail::Node& node() const { return *m_node; }
    std::size_t hash() const { return m_node->hash; }

    /// Structural equality (identical trees are the same node).
    friend bool operator==(const Expr& x, const Expr& y) { return x.m_node == y.m_node; }
    friend bool operator!=(const Expr& x, const Expr& y) { return x.m_node != y.m_node; }

    /// Builds op(a, b) with simplification; `b` is ignored for unary ops.
    static Expr make(Op op, const Expr& a, const Expr& b = Expr());

private:
    explicit Expr(detail::NodePtr node) : m_node(std::move(node)) {}
    detail::NodePtr m_node;
};

Expr operator+(const Expr& a, const Expr& b);
Expr operator-(const Expr& a, const Expr& b);
Expr operator*(const Expr& a, const Expr& b);
Expr operator/(const Expr& a, const Expr& b);
Expr operator-(const Expr& a);
Expr operator+(const Expr& a);
Expr operator+(const Expr& a, double b);
Expr operator-(const Expr& a, double b);
Expr operator*(const Expr& a, double b);
Expr operator/(const Expr& a, double b);
Expr operator+(double a, const Expr& b);
Expr operator-(double a, const Expr& b);
Expr operator*(double a, const Expr& b);
Expr operator/(double a, const Expr& b);
Expr& operator+=(Expr& a, const Expr& b);
Expr& operator-=(Expr& a, const Expr& b);
Expr& operator*=(Expr& a, const Expr& b);
Expr& operator/=(Expr& a, const Expr& b);

Expr pow(const Expr& a, const Expr& b);
Expr pow(const Expr& a, double b);
Expr atan2(const Expr& y, const Expr& x);
Expr sin(const Expr& a);
Expr cos(const Expr& a);
Expr tan(const Expr& a);
Expr exp(const Expr& a);
Expr log(const Expr& a);
Expr sqrt(const Expr& a);
Expr tanh(const Expr& a);
Expr sinh(const Expr& a);
Expr cosh(const Expr& a);
Expr abs(const Expr& a);
/// -1, 0 or 1 (NaN for NaN); the derivative of abs.
Expr sign(const Expr& a);

/// (df/dx_0, ..., df/dx_{n-1}).
std::vector<Expr> gradient(const Expr& f, Index n);

} // namespace flowkit::expr
