// Expr: interning (hash-consing), simplification at construction, printing, pointwise evaluation.
#include "expr/expr.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <iterator>
#include <mutex>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>

namespace flowkit::expr {

namespace detail {

int arity(Op op)
{
    switch (op) {
    case Op::Const:
    case Op::Var:
        return 0;
    case Op::Add:
    case Op::Sub:
    case Op::Mul:
    case Op::Div:
    case Op::Pow:
    case Op::Atan2:
        return 2;
    default:
        return 1;
    }
}

double apply(Op op, double a, double b)
{
    switch (op) {
    case Op::Add: return a + b;
    case Op::Sub: return a - b;
    case Op::Mul: return a * b;
    case Op::Div: return a / b;
    case Op::Pow: return std::pow(a, b);
    case Op::Atan2: return std::atan2(a, b);
    case Op::Neg: return -a;
    case Op::Sin: return std::sin(a);
    case Op::Cos: return std::cos(a);
    case Op::Tan: return std::tan(a);
    case Op::Exp: return std::exp(a);
    case Op::Log: return std::log(a);
    case Op::Sqrt: return std::sqrt(a);
    case Op::Tanh: return std::tanh(a);
    case Op::Sinh: return std::sinh(a);
    case Op::Cosh: return std::cosh(a);
    case Op::Abs: return std::abs(a);
    case Op::Sign: return std::isnan(a) ? a : static_cast<double>((a > 0) - (a < 0));
    case Op::Const:
    case Op::Var:
        break;
    }
    throw std::logic_error("expr::apply: not an operator");
}

} // namespace detail

namespace {

using detail::Node;
using detail::NodePtr;

std::uint64_t mix(std::uint64_t h, std::uint64_t v)
{
    // splitmix64 finaliser of (h, v)
    std::uint64_t z = h ^ (v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2));
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

std::uint64_t bits_of(double v)
{
    std::uint64_t u;
    std::memcpy(&u, &v, sizeof u);
    return u;
}

struct Key
{
    Op op;
    Index var;
    std::uint64_t bits;
    const Node* a;
    const Node* b;
    std::size_t hash;
    bool operator==(const Key& o) const
    {
        return op == o.op && var == o.var && bits == o.bits && a == o.a && b == o.b;
    }
};

struct KeyHash
{
    std::size_t operator()(const Key& k) const { return k.hash; }
};

/// The intern table: weak references, swept of expired entries when it doubles. Leaked on
/// purpose so that Exprs in static storage may outlive it.
struct Table
{
    std::mutex mutex;
    std::unordered_map<Key, std::weak_ptr<const Node>, KeyHash> map;
    std::size_t sweep_at = 4096;
};

Table& table()
{
    static Table* t = new Table;
    return *t;
}

NodePtr intern(Op op, Index var, double value, const NodePtr& a, const NodePtr& b)
{
    std::uint64_t bits = op == Op::Const ? bits_of(value) : 0;
    std::uint64_t h = mix(static_cast<std::uint64_t>(op), static_cast<std::uint64_t>(var));
    h = mix(h, bits);
    h = mix(h, a ? a->hash : 0);
    h = mix(h, b ? b->hash : 0);
    Key key{op, var, bits, a.get(), b.get(), static_cast<std::size_t>(h)};

    Table& t = table();
    std::lock_guard<std::mutex> lock(t.mutex);
    auto it = t.map.find(key);
    if (it != t.map.end()) {
        if (NodePtr live = it->second.lock())
            return live;
    }
    auto node = std::make_shared<Node>();
    node->op = op;
    node->var = var;
    node->value = op == Op::Const ? value : 0.0;
    node->a = a;
    node->b = b;
    node->hash = key.hash;
    if (op == Op::Var) {
        node->vars = {var};
    }
    else if (a && b) {
        std::set_union(a->vars.begin(), a->vars.end(), b->vars.begin(), b->vars.end(),
                       std::back_inserter(node->vars));
    }
    else if (a) {
        node->vars = a->vars;
    }
    NodePtr result = node;
    if (it != t.map.end()) {
        it->second = result;
    }
    else {
        t.map.emplace(key, result);
        if (t.map.size() >= t.sweep_at) {
            for (auto e = t.map.begin(); e != t.map.end();) {
                if (e->second.expired())
                    e = t.map.erase(e);
                else
                    ++e;
            }
            t.sweep_at = std::max<std::size_t>(4096, 2 * t.map.size());
        }
    }
    return result;
}

bool is_const(const Expr& e) { return e.op() == Op::Const; }
bool is_const(const Expr& e, double v) { return e.op() == Op::Const && e.constant_value() == v; }
bool is_integer(double v) { return std::isfinite(v) && v == std::floor(v); }

/// Odd functions f(-x) = -f(x) and even ones f(-x) = f(x), for pulling a negation out.
bool is_odd(Op op)
{
    return op == Op::Sin || op == Op::Tan || op == Op::Tanh || op == Op::Sinh || op == Op::Sign;
}
bool is_even(Op op) { return op == Op::Cos || op == Op::Cosh || op == Op::Abs; }

} // namespace

Expr::Expr()
{
    static const NodePtr zero = intern(Op::Const, -1, 0.0, nullptr, nullptr);
    m_node = zero;
}

Expr Expr::constant(double v) { return Expr(intern(Op::Const, -1, v, nullptr, nullptr)); }

Expr Expr::variable(Index i)
{
    if (i < 0)
        throw std::invalid_argument("expr::Expr::variable: negative index");
    return Expr(intern(Op::Var, i, 0.0, nullptr, nullptr));
}

Expr Expr::operand(int i) const
{
    const NodePtr& p = i == 0 ? m_node->a : m_node->b;
    if (!p)
        throw std::invalid_argument("expr::Expr::operand: no such operand");
    return Expr(p);
}

bool Expr::is_zero() const { return m_node->op == Op::Const && m_node->value == 0.0; }
bool Expr::is_constant() const { return m_node->op == Op::Const; }
double Expr::constant_value() const { return m_node->op == Op::Const ? m_node->value : 0.0; }

bool Expr::depends_on(Index var) const
{
    return std::binary_search(m_node->vars.begin(), m_node->vars.end(), var);
}

const std::vector<Index>& Expr::variables() const { return m_node->vars; }

Expr Expr::make(Op op, const Expr& a, const Expr& b)
{
    const int n = detail::arity(op);
    if (n == 0)
        throw std::invalid_argument("expr::Expr::make: not an operator");
    auto raw = [&] { return Expr(intern(op, -1, 0.0, a.m_node, n == 2 ? b.m_node : nullptr)); };
    const Expr c = Expr();  // 0
    if (is_const(a) && (n == 1 || is_const(b))) {
        double r = detail::apply(op, a.constant_value(), n == 2 ? b.constant_value() : 0.0);
        if (std::isfinite(r))
            return constant(r);
        return raw();
    }
    const double av = a.constant_value(), bv = b.constant_value();
    // x * c with c < 0 (to move the sign into + / -), and (x +- c) for folding c into it
    auto negative_multiple = [](const Expr& e) {
        return e.op() == Op::Mul && is_const(e.operand(0)) && e.operand(0).constant_value() < 0;
    };
    auto plus_constant = [](const Expr& e, double& c) {
        if ((e.op() != Op::Add && e.op() != Op::Sub) || !is_const(e.operand(1)))
            return false;
        c = e.op() == Op::Add ? e.operand(1).constant_value() : -e.operand(1).constant_value();
        return true;
    };
    double k = 0;
    switch (op) {
    case Op::Add:
        if (a.is_zero())
            return b;
        if (b.is_zero())
            return a;
        if (a == b)
            return make(Op::Mul, constant(2), a);
        if (b.op() == Op::Neg)
            return make(Op::Sub, a, b.operand(0));
        if (a.op() == Op::Neg)
            return make(Op::Sub, b, a.operand(0));
        if (is_const(b) && bv < 0)
            return make(Op::Sub, a, constant(-bv));
        if (is_const(b) && plus_constant(a, k) && std::isfinite(k + bv))
            return make(Op::Add, a.operand(0), constant(k + bv));         // (x + k) + c
        if (negative_multiple(b))
            return make(Op::Sub, a, make(Op::Mul, constant(-b.operand(0).constant_value()),
                                         b.operand(1)));
        return raw();
    case Op::Sub:
        if (b.is_zero())
            return a;
        if (a.is_zero())
            return make(Op::Neg, b);
        if (a == b)
            return c;
        if (b.op() == Op::Neg)
            return make(Op::Add, a, b.operand(0));
        if (is_const(b) && bv < 0)
            return make(Op::Add, a, constant(-bv));
        if (is_const(b) && plus_constant(a, k) && std::isfinite(k - bv))
            return make(Op::Add, a.operand(0), constant(k - bv));         // (x + k) - c
        if (negative_multiple(b))
            return make(Op::Add, a, make(Op::Mul, constant(-b.operand(0).constant_value()),
                                         b.operand(1)));
        return raw();
    case Op::Mul:
        if (a.is_zero() || b.is_zero())
            return c;
        if (is_const(a, 1))
            return b;
        if (is_const(b, 1))
            return a;
        if (a.op() == Op::Div && a.operand(1) == b)
            return a.operand(0);                                            // (x/y)*y
        if (b.op() == Op::Div && b.operand(1) == a)
            return b.operand(0);                                            // y*(x/y)
        if (is_const(b))
            return make(Op::Mul, b, a);
        if (!is_const(a) && b.op() == Op::Div && is_const(b.operand(0), 1))
            return make(Op::Div, a, b.operand(1));                          // x*(1/y)
        if (a.op() == Op::Div && is_const(a.operand(0), 1))
            return make(Op::Div, b, a.operand(1));                          // (1/y)*x
        if (is_const(a)) {
            if (av == -1)
                return make(Op::Neg, b);
            if (b.op() == Op::Neg)
                return make(Op::Mul, constant(-av), b.operand(0));
            if (b.op() == Op::Mul && is_const(b.operand(0))) {
                double r = av * b.operand(0).constant_value();
                if (std::isfinite(r))
                    return make(Op::Mul, constant(r), b.operand(1));
            }
            if (b.op() == Op::Div && is_const(b.operand(0))) {
                double r = av * b.operand(0).constant_value();
                if (std::isfinite(r))
                    return make(Op::Div, constant(r), b.operand(1));
            }
            return raw();
        }
        if (a.op() == Op::Neg)
            return make(Op::Neg, make(Op::Mul, a.operand(0), b));
        if (b.op() == Op::Neg)
            return make(Op::Neg, make(Op::Mul, a, b.operand(0)));
        if (a == b)
            return make(Op::Pow, a, constant(2));
        return raw();
    case Op::Div:
        if (is_const(b, 1))
            return a;
        if (is_const(b, -1))
            return make(Op::Neg, a);
        if (a.is_zero() && !is_const(b))
            return c;
        if (a == b && !is_const(a))
            return constant(1);
        if (a.op() == Op::Neg)
            return make(Op::Neg, make(Op::Div, a.operand(0), b));
        if (b.op() == Op::Neg)
            return make(Op::Neg, make(Op::Div, a, b.operand(0)));
        if (a.op() == Op::Mul && is_const(a.operand(0))) {
            const double ac = a.operand(0).constant_value();
            if (is_const(b)) {                                              // (c1 x)/c2
                double r = ac / bv;
                if (std::isfinite(r) && r != 0)
                    return make(Op::Mul, constant(r), a.operand(1));
            }
            if (b.op() == Op::Mul && is_const(b.operand(0))) {              // (c1 x)/(c2 y)
                double r = ac / b.operand(0).constant_value();
                if (std::isfinite(r) && r != 0)
                    return make(Op::Div, make(Op::Mul, constant(r), a.operand(1)),
                                b.operand(1));
            }
        }
        return raw();
    case Op::Pow:
        if (is_const(b, 1))
            return a;
        if (b.is_zero() || is_const(a, 1))
            return constant(1);
        if (is_const(b) && is_integer(bv) && a.op() == Op::Pow && is_const(a.operand(1))
            && is_integer(a.operand(1).constant_value()))
            return make(Op::Pow, a.operand(0), constant(bv * a.operand(1).constant_value()));
        if (is_const(b) && is_integer(bv / 2) && a.op() == Op::Sqrt)
            return make(Op::Pow, a.operand(0), constant(bv / 2));             // sqrt(x)^(2k)
        return raw();
    case Op::Neg:
        switch (a.op()) {
        case Op::Neg:
            return a.operand(0);
        case Op::Sub:
            return make(Op::Sub, a.operand(1), a.operand(0));
        case Op::Mul:
        case Op::Div:
            if (is_const(a.operand(0)))
                return make(a.op(), constant(-a.operand(0).constant_value()), a.operand(1));
            return raw();
        default:
            return raw();
        }
    default:
        if (a.op() == Op::Neg) {
            if (is_odd(op))
                return make(Op::Neg, make(op, a.operand(0)));
            if (is_even(op))
                return make(op, a.operand(0));
        }
        if (op == Op::Abs && a.op() == Op::Abs)
            return a;
        return raw();
    }
}

Expr operator+(const Expr& a, const Expr& b) { return Expr::make(Op::Add, a, b); }
Expr operator-(const Expr& a, const Expr& b) { return Expr::make(Op::Sub, a, b); }
Expr operator*(const Expr& a, const Expr& b) { return Expr::make(Op::Mul, a, b); }
Expr operator/(const Expr& a, const Expr& b) { return Expr::make(Op::Div, a, b); }
Expr operator-(const Expr& a) { return Expr::make(Op::Neg, a); }
Expr operator+(const Expr& a) { return a; }
Expr operator+(const Expr& a, double b) { return a + Expr::constant(b); }
Expr operator-(const Expr& a, double b) { return a - Expr::constant(b); }
Expr operator*(const Expr& a, double b) { return a * Expr::constant(b); }
Expr operator/(const Expr& a, double b) { return a / Expr::constant(b); }
Expr operator+(double a, const Expr& b) { return Expr::constant(a) + b; }
Expr operator-(double a, const Expr& b) { return Expr::constant(a) - b; }
Expr operator*(double a, const Expr& b) { return Expr::constant(a) * b; }
Expr operator/(double a, const Expr& b) { return Expr::constant(a) / b; }
Expr& operator+=(Expr& a, const Expr& b) { return a = a + b; }
Expr& operator-=(Expr& a, const Expr& b) { return a = a - b; }
Expr& operator*=(Expr& a, const Expr& b) { return a = a * b; }
Expr& operator/=(Expr& a, const Expr& b) { return a = a / b; }

Expr pow(const Expr& a, const Expr& b) { return Expr::make(Op::Pow, a, b); }
Expr pow(const Expr& a, double b) { return Expr::make(Op::Pow, a, Expr::constant(b)); }
Expr atan2(const Expr& y, const Expr& x) { return Expr::make(Op::Atan2, y, x); }
Expr sin(const Expr& a) { return Expr::make(Op::Sin, a); }
Expr cos(const Expr& a) { return Expr::make(Op::Cos, a); }
Expr tan(const Expr& a) { return Expr::make(Op::Tan, a); }
Expr exp(const Expr& a) { return Expr::make(Op::Exp, a); }
Expr log(const Expr& a) { return Expr::make(Op::Log, a); }
Expr sqrt(const Expr& a) { return Expr::make(Op::Sqrt, a); }
Expr tanh(const Expr& a) { return Expr::make(Op::Tanh, a); }
Expr sinh(const Expr& a) { return Expr::make(Op::Sinh, a); }
Expr cosh(const Expr& a) { return Expr::make(Op::Cosh, a); }
Expr abs(const Expr& a) { return Expr::make(Op::Abs, a); }
Expr sign(const Expr& a) { return Expr::make(Op::Sign, a); }

std::vector<Expr> gradient(const Expr& f, Index n)
{
    std::vector<Expr> g;
    g.reserve(static_cast<std::size_t>(n));
    for (Index i = 0; i < n; ++i)
        g.push_back(f.derivative(i));
    return g;
}

namespace {

double eval_node(const Node& n, const double* x)
{
    switch (n.op) {
    case Op::Const: return n.value;
    case Op::Var: return x[n.var];
    default: break;
    }
    double a = eval_node(*n.a, x);
    double b = n.b ? eval_node(*n.b, x) : 0.0;
    return detail::apply(n.op, a, b);
}

const char* function_name(Op op)
{
    switch (op) {
    case Op::Sin: return "sin";
    case Op::Cos: return "cos";
    case Op::Tan: return "tan";
    case Op::Exp: return "exp";
    case Op::Log: return "log";
    case Op::Sqrt: return "sqrt";
    case Op::Tanh: return "tanh";
    case Op::Sinh: return "sinh";
    case Op::Cosh: return "cosh";
    case Op::Abs: return "abs";
    case Op::Sign: return "sign";
    case Op::Atan2: return "atan2";
    default: return nullptr;
    }
}

// Printing precedence: 1 sums, 2 products, 3 unary minus (and negative numbers), 4 powers,
// 5 atoms. A child is parenthesised when its level is below what its position needs:
// sum operands >= 1 (right >= 2), product operands >= 2 (right >= 4), base 5, exponent >= 3.
class Printer
{
public:
    explicit Printer(const std::vector<std::string>& vars) : m_vars(vars) {}

    std::string print(const Node& n, int need) const
    {
        std::string s = text(n);
        return level(n) < need ? "(" + s + ")" : s;
    }

private:
    const std::vector<std::string>& m_vars;

    /// A negated product prints as "-a*b" when its leftmost factor is a name, a call or a
    /// power: "-a*b" re-parses as (-a)*b, which simplifies back to -(a*b).
    static bool bare_negated_product(const Node& n)
    {
        const Node* p = &n;
        while (p->op == Op::Mul || p->op == Op::Div)
            p = p->a.get();
        return p != &n && p->op != Op::Const && level(*p) >= 4;
    }

    static int level(const Node& n)
    {
        switch (n.op) {
        case Op::Const: return std::isfinite(n.value) && std::signbit(n.value) ? 3 : 5;
        case Op::Add:
        case Op::Sub: return 1;
        case Op::Mul:
        case Op::Div: return 2;
        case Op::Neg: return bare_negated_product(*n.a) ? 2 : 3;
        case Op::Pow: return 4;
        default: return 5;
        }
    }

    static std::string number(double v)
    {
        if (std::isnan(v))
            return "(0/0)";
        if (std::isinf(v))
            return v > 0 ? "(1/0)" : "(-1/0)";
        char buf[64];
        auto r = std::to_chars(buf, buf + sizeof buf, v);
        return std::string(buf, r.ptr);
    }

    std::string text(const Node& n) const
    {
        switch (n.op) {
        case Op::Const: return number(n.value);
        case Op::Var:
            if (n.var < static_cast<Index>(m_vars.size()))
                return m_vars[static_cast<std::size_t>(n.var)];
            return "x" + std::to_string(n.var);
        case Op::Add: return print(*n.a, 1) + " + " + print(*n.b, 2);
        case Op::Sub: return print(*n.a, 1) + " - " + print(*n.b, 2);
        case Op::Mul: return print(*n.a, 2) + "*" + print(*n.b, 4);
        case Op::Div: return print(*n.a, 2) + "/" + print(*n.b, 4);
        case Op::Pow: return print(*n.a, 5) + "^" + print(*n.b, 3);
        case Op::Neg: return "-" + print(*n.a, bare_negated_product(*n.a) ? 2 : 3);
        case Op::Atan2: return "atan2(" + print(*n.a, 0) + ", " + print(*n.b, 0) + ")";
        default: return std::string(function_name(n.op)) + "(" + print(*n.a, 0) + ")";
        }
    }
};

void count_nodes(const Node* n, std::unordered_set<const Node*>& seen)
{
    if (!n || !seen.insert(n).second)
        return;
    count_nodes(n->a.get(), seen);
    count_nodes(n->b.get(), seen);
}

} // namespace

std::string Expr::to_string(const std::vector<std::string>& vars) const
{
    return Printer(vars).print(*m_node, 0);
}

double Expr::eval(const double* vars) const { return eval_node(*m_node, vars); }

std::size_t Expr::size() const
{
    std::unordered_set<const Node*> seen;
    count_nodes(m_node.get(), seen);
    return seen.size();
}

} // namespace flowkit::expr
