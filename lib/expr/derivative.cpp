// Expr::derivative: symbolic differentiation over the shared DAG (memoised per call), with the
// simplifying constructors keeping the result small.
#include "expr/expr.hpp"

#include <cmath>
#include <unordered_map>

namespace flowkit::expr {

namespace {

class Differentiator
{
public:
    explicit Differentiator(Index var) : m_var(var) {}

    Expr d(const Expr& e)
    {
        if (!e.depends_on(m_var))
            return Expr();
        if (e.op() == Op::Var)
            return Expr::constant(1);
        auto it = m_memo.find(&e.node());
        if (it != m_memo.end())
            return it->second;
        Expr r = rule(e);
        m_memo.emplace(&e.node(), r);
        return r;
    }

private:
    Index m_var;
    std::unordered_map<const detail::Node*, Expr> m_memo;   // keys stay alive: e's owners hold them

    Expr rule(const Expr& e)
    {
        const Expr a = e.operand(0);
        const Expr da = d(a);
        switch (e.op()) {
        case Op::Neg: return -da;
        case Op::Sin: return cos(a) * da;
        case Op::Cos: return -(sin(a) * da);
        case Op::Tan: return (1.0 + pow(e, 2.0)) * da;           // 1 + tan^2
        case Op::Exp: return e * da;
        case Op::Log: return da / a;
        case Op::Sqrt: return da / (2.0 * e);
        case Op::Tanh: return (1.0 - pow(e, 2.0)) * da;          // 1 - tanh^2
        case Op::Sinh: return cosh(a) * da;
        case Op::Cosh: return sinh(a) * da;
        case Op::Abs: return sign(a) * da;
        case Op::Sign: return Expr();
        default: break;
        }
        const Expr b = e.operand(1);
        const Expr db = d(b);
        switch (e.op()) {
        case Op::Add: return da + db;
        case Op::Sub: return da - db;
        case Op::Mul: return da * b + a * db;
        case Op::Div:
            if (db.is_zero())
                return da / b;
            return (da * b - a * db) / pow(b, 2.0);              // (a'b - ab')/b^2
        case Op::Pow:
            if (!b.depends_on(m_var))
                return b * pow(a, b - 1.0) * da;                  // b a^(b-1) a'
            if (!a.depends_on(m_var))
                return e * log(a) * db;                           // a^b log(a) b'
            return e * (db * log(a) + b * da / a);                // a^b (b' log a + b a'/a)
        case Op::Atan2:                                           // (b a' - a b')/(a^2 + b^2)
            return (b * da - a * db) / (pow(a, 2.0) + pow(b, 2.0));
        default: break;
        }
        return Expr();
    }
};

} // namespace

Expr Expr::derivative(Index var) const { return Differentiator(var).d(*this); }

} // namespace flowkit::expr
