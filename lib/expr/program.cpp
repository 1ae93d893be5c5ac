// Program: compile the outputs' shared DAG into column instructions (CSE falls out of hash-consing:
// one node, one register), reuse scratch columns after a value's last use, and run the list
// either vectorised over the batch or, for tiny batches, row by row.
// GCC 12 with AVX-512 warns "may be used uninitialized" inside avx512fintrin.h, inlined from
// Eigen's vectorised exp and log (the _mm512_undefined_pd() idiom): a false positive, silenced for
// this file only.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include "expr/program.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <stdexcept>
#include <string>
#include <unordered_map>

namespace flowkit::expr {

namespace {

using detail::Instr;
using detail::Node;

enum Code : std::uint8_t
{
    Copy, Fill,                                  // d = a;  d = c
    Add, Sub, Mul, Div, Pow, Atan2,              // d = a op b
    AddC, RSubC, MulC, DivC, RDivC,              // a + c, c - a, c * a, a / c, c / a
    PowC, RPowC, PowI,                           // a^c, c^a, a^k (integer |k| <= 8)
    Atan2C, RAtan2C,                             // atan2(a, c), atan2(c, a)
    Neg, Sin, Cos, Tan, Exp, Log, Sqrt, Tanh, Sinh, Cosh, Abs, Sign,
};

constexpr Index scalar_rows = 4;   // batches smaller than this run row by row
constexpr Index block_rows = 256;  // vector path: rows per pass, so live columns stay in cache

Code unary_code(Op op)
{
    switch (op) {
    case Op::Neg: return Neg;
    case Op::Sin: return Sin;
    case Op::Cos: return Cos;
    case Op::Tan: return Tan;
    case Op::Exp: return Exp;
    case Op::Log: return Log;
    case Op::Sqrt: return Sqrt;
    case Op::Tanh: return Tanh;
    case Op::Sinh: return Sinh;
    case Op::Cosh: return Cosh;
    case Op::Abs: return Abs;
    case Op::Sign: return Sign;
    default: throw std::logic_error("expr::Program: not a unary op");
    }
}

bool small_integer_power(double k)
{
    return k == std::floor(k) && std::abs(k) <= 8 && k != 0 && k != 1;
}

/// How a node becomes one instruction: column operands a, b (nullptr when unused) and immediate c.
struct Form
{
    Code code;
    const Node* a = nullptr;
    const Node* b = nullptr;
    double c = 0;
};

Form form_of(const Node& n)
{
    const Node* a = n.a.get();
    const Node* b = n.b.get();
    if (detail::arity(n.op) == 1)
        return {unary_code(n.op), a, nullptr, 0};
    const bool ac = a->op == Op::Const, bc = b->op == Op::Const;
    switch (n.op) {
    case Op::Add:
        if (ac)
            return {AddC, b, nullptr, a->value};
        if (bc)
            return {AddC, a, nullptr, b->value};
        return {Add, a, b, 0};
    case Op::Sub:
        if (ac)
            return {RSubC, b, nullptr, a->value};
        if (bc)
            return {AddC, a, nullptr, -b->value};
        return {Sub, a, b, 0};
    case Op::Mul:
        if (ac)
            return {MulC, b, nullptr, a->value};
        if (bc)
            return {MulC, a, nullptr, b->value};
        return {Mul, a, b, 0};
    case Op::Div:
        if (ac)
            return {RDivC, b, nullptr, a->value};
        if (bc)
            return {DivC, a, nullptr, b->value};
        return {Div, a, b, 0};
    case Op::Pow:
        if (ac)
            return {RPowC, b, nullptr, a->value};
        if (bc) {
            if (small_integer_power(b->value))
                return {PowI, a, nullptr, b->value};
            if (b->value == 0.5)
                return {Sqrt, a, nullptr, 0};
            return {PowC, a, nullptr, b->value};
        }
        return {Pow, a, b, 0};
    case Op::Atan2:
        if (ac)
            return {RAtan2C, b, nullptr, a->value};
        if (bc)
            return {Atan2C, a, nullptr, b->value};
        return {Atan2, a, b, 0};
    default: throw std::logic_error("expr::Program: not a binary op");
    }
}

struct Info
{
    int pos = -1;        // position in topological order
    int last_use = -1;   // position of the last instruction reading this node's column
    int reg = -1;
    bool column = false; // a constant that some instruction needs as a column
    bool freed = false;
};

class Compiler
{
public:
    Compiler(Index n_vars, Index n_outputs) : m_n_vars(n_vars), m_n_outputs(n_outputs) {}

    std::vector<Instr> compile(const std::vector<Expr>& outputs, Index& n_scratch)
    {
        for (const Expr& e : outputs)
            visit(&e.node());
        std::unordered_map<const Node*, int> first_output;
        for (std::size_t k = 0; k < outputs.size(); ++k)
            first_output.emplace(&outputs[k].node(), static_cast<int>(k));

        std::vector<Form> forms(m_order.size());
        for (std::size_t i = 0; i < m_order.size(); ++i) {
            const Node* n = m_order[i];
            if (n->op == Op::Const || n->op == Op::Var)
                continue;
            forms[i] = form_of(*n);
            for (const Node* c : {forms[i].a, forms[i].b}) {
                if (!c)
                    continue;
                Info& ci = m_info[c];
                ci.column = true;
                ci.last_use = static_cast<int>(i);
            }
        }

        for (std::size_t i = 0; i < m_order.size(); ++i) {
            const Node* n = m_order[i];
            Info& info = m_info[n];
            if (n->op == Op::Var) {
                info.reg = static_cast<int>(n->var);
                continue;
            }
            if (n->op == Op::Const) {
                if (info.column) {
                    info.reg = allocate();
                    emit(Fill, info.reg, -1, -1, n->value);
                }
                continue;
            }
            auto out = first_output.find(n);
            info.reg = out != first_output.end() ? static_cast<int>(m_n_vars) + out->second
                                                 : allocate();
            const Form& f = forms[i];
            emit(f.code, info.reg, f.a ? m_info[f.a].reg : -1, f.b ? m_info[f.b].reg : -1, f.c);
            for (const Node* c : {f.a, f.b})
                if (c)
                    release(m_info[c], static_cast<int>(i));
        }

        for (std::size_t k = 0; k < outputs.size(); ++k) {
            const Node* n = &outputs[k].node();
            const int dst = static_cast<int>(m_n_vars + static_cast<Index>(k));
            if (n->op == Op::Const)
                emit(Fill, dst, -1, -1, n->value);
            else if (m_info[n].reg != dst)
                emit(Copy, dst, m_info[n].reg, -1, 0);
        }
        n_scratch = m_n_scratch;
        return m_code;
    }

private:
    Index m_n_vars, m_n_outputs;
    std::vector<const Node*> m_order;
    std::unordered_map<const Node*, Info> m_info;
    std::vector<int> m_free;
    Index m_n_scratch = 0;
    std::vector<Instr> m_code;

    void visit(const Node* n)
    {
        Info& info = m_info[n];
        if (info.pos >= 0)
            return;
        if (n->a)
            visit(n->a.get());
        if (n->b)
            visit(n->b.get());
        m_info[n].pos = static_cast<int>(m_order.size());
        m_order.push_back(n);
    }

    int scratch_base() const { return static_cast<int>(m_n_vars + m_n_outputs); }

    int allocate()
    {
        if (!m_free.empty()) {
            int r = m_free.back();
            m_free.pop_back();
            return r;
        }
        return scratch_base() + static_cast<int>(m_n_scratch++);
    }

    /// Returns a scratch column to the pool after its last reader at position `pos`.
    void release(Info& info, int pos)
    {
        if (info.freed || info.last_use != pos || info.reg < scratch_base())
            return;
        info.freed = true;
        m_free.push_back(info.reg);
    }

    void emit(Code code, int dst, int a, int b, double c)
    {
        Instr in;
        in.code = code;
        in.dst = dst;
        in.a = a < 0 ? dst : a;   // unused operands name a valid register for the scalar path
        in.b = b < 0 ? dst : b;
        in.c = c;
        m_code.push_back(in);
    }
};

double powi(double a, int k)
{
    double r;
    switch (std::abs(k)) {
    case 1: r = a; break;
    case 2: r = a * a; break;
    case 3: r = (a * a) * a; break;
    case 4: { double t = a * a; r = t * t; break; }
    case 5: { double t = a * a; r = (t * t) * a; break; }
    case 6: { double t = (a * a) * a; r = t * t; break; }
    case 7: { double t = (a * a) * a; r = (t * t) * a; break; }
    default: { double t = a * a; t = t * t; r = t * t; break; }
    }
    return k < 0 ? 1.0 / r : r;
}

[[gnu::always_inline]] inline double scalar_op(const Instr& in, double a, double b)
{
    const double c = in.c;
    switch (in.code) {
    case Copy: return a;
    case Fill: return c;
    case Add: return a + b;
    case Sub: return a - b;
    case Mul: return a * b;
    case Div: return a / b;
    case Pow: return std::pow(a, b);
    case Atan2: return std::atan2(a, b);
    case AddC: return a + c;
    case RSubC: return c - a;
    case MulC: return c * a;
    case DivC: return a / c;
    case RDivC: return c / a;
    case PowC: return std::pow(a, c);
    case RPowC: return std::pow(c, a);
    case PowI: return powi(a, static_cast<int>(c));
    case Atan2C: return std::atan2(a, c);
    case RAtan2C: return std::atan2(c, a);
    case Neg: return -a;
    case Sin: return std::sin(a);
    case Cos: return std::cos(a);
    case Tan: return std::tan(a);
    case Exp: return std::exp(a);
    case Log: return std::log(a);
    case Sqrt: return std::sqrt(a);
    case Tanh: return std::tanh(a);
    case Sinh: return std::sinh(a);
    case Cosh: return std::cosh(a);
    case Abs: return std::abs(a);
    case Sign: return std::isnan(a) ? a : static_cast<double>((a > 0) - (a < 0));
    default: return std::numeric_limits<double>::quiet_NaN();
    }
}

using Col = Eigen::Map<Eigen::ArrayXd>;
using ConstCol = Eigen::Map<const Eigen::ArrayXd>;

void vector_powi(Col& d, const ConstCol& a, int k)
{
    switch (std::abs(k)) {
    case 1: d = a; break;
    case 2: d = a.square(); break;
    case 3: d = a.square() * a; break;
    case 4: d = a.square().square(); break;
    case 5: d = a.square().square() * a; break;
    case 6: d = (a.square() * a).square(); break;
    case 7: d = (a.square() * a).square() * a; break;
    default: d = a.square().square().square(); break;
    }
    if (k < 0)
        d = d.inverse();
}

/// tanh over a column. Eigen 3.4 has no vectorised double tanh; with AVX its exp and log are
/// fast, so tanh x = m/(m + 2) with m = expm1(y), y = 2 clamp(x, -20, 20) (tanh 20 rounds to 1),
/// and expm1(y) = y (u - 1)/log(u), u = e^y (Kahan), where adding 1e-300 to both sides of the
/// ratio makes it 1 when u == 1 (|x| < 1e-16) and changes nothing otherwise. Within 8 ulp of
/// std::tanh; keeps -0, +-inf and NaN (Eigen's max/min return their first operand on NaN).
/// Without AVX, std::tanh per element is faster. d must not alias a.
void vector_tanh(Col& d, const ConstCol& a)
{
#ifdef EIGEN_VECTORIZE_AVX
    auto y = 2.0 * a.max(-20.0).min(20.0);
    d = y.exp();
    d = y * ((d - 1.0 + 1e-300) / (d.log() + 1e-300));
    d = d / (d + 2.0);
#else
    d = a.unaryExpr([](double x) { return std::tanh(x); });
#endif
}

void vector_op(const Instr& in, Index n, const double* const* p)
{
    // dst is never an input register, so its column is writable
    Col d(const_cast<double*>(p[in.dst]), n);
    auto A = [&] { return ConstCol(p[in.a], n); };
    auto B = [&] { return ConstCol(p[in.b], n); };
    const double c = in.c;
    switch (in.code) {
    case Copy: d = A(); break;
    case Fill: d.setConstant(c); break;
    case Add: d = A() + B(); break;
    case Sub: d = A() - B(); break;
    case Mul: d = A() * B(); break;
    case Div: d = A() / B(); break;
    case Pow: d = A().binaryExpr(B(), [](double x, double y) { return std::pow(x, y); }); break;
    case Atan2:
        d = A().binaryExpr(B(), [](double y, double x) { return std::atan2(y, x); });
        break;
    case AddC: d = A() + c; break;
    case RSubC: d = c - A(); break;
    case MulC: d = c * A(); break;
    case DivC: d = A() / c; break;
    case RDivC: d = c / A(); break;
    case PowC: d = A().unaryExpr([c](double x) { return std::pow(x, c); }); break;
    case RPowC: d = A().unaryExpr([c](double x) { return std::pow(c, x); }); break;
    case PowI: vector_powi(d, A(), static_cast<int>(c)); break;
    case Atan2C: d = A().unaryExpr([c](double y) { return std::atan2(y, c); }); break;
    case RAtan2C: d = A().unaryExpr([c](double x) { return std::atan2(c, x); }); break;
    case Neg: d = -A(); break;
    case Sin: d = A().sin(); break;
    case Cos: d = A().cos(); break;
    case Tan: d = A().tan(); break;
    case Exp: d = A().exp(); break;
    case Log: d = A().log(); break;
    case Sqrt: d = A().unaryExpr([](double x) { return std::sqrt(x); }); break;
    case Tanh: vector_tanh(d, A()); break;
    case Sinh: d = A().sinh(); break;
    case Cosh: d = A().cosh(); break;
    case Abs: d = A().abs(); break;
    case Sign: d = (A() == A()).select(A().sign(), A()); break;
    default: throw std::logic_error("expr::Program: bad instruction");
    }
}

} // namespace

Program::Program(const std::vector<Expr>& outputs, Index n_vars)
    : m_n_vars(n_vars), m_n_outputs(static_cast<Index>(outputs.size()))
{
    if (n_vars < 0)
        throw std::invalid_argument("expr::Program: negative number of variables");
    for (std::size_t k = 0; k < outputs.size(); ++k) {
        const auto& v = outputs[k].variables();
        if (!v.empty() && v.back() >= n_vars)
            throw std::invalid_argument("expr::Program: output " + std::to_string(k)
                                        + " uses variable " + std::to_string(v.back())
                                        + " but there are only " + std::to_string(n_vars));
    }
    m_code = Compiler(n_vars, m_n_outputs).compile(outputs, m_n_scratch);
}

void Program::eval(const Eigen::Ref<const Mat>& in, Mat& out) const { eval(in, out, m_ws); }

void Program::eval(const Eigen::Ref<const Mat>& in, Mat& out, Workspace& ws) const
{
    if (in.cols() != m_n_vars)
        throw std::invalid_argument("expr::Program::eval: input has " + std::to_string(in.cols())
                                    + " columns, expected " + std::to_string(m_n_vars));
    const Index n = in.rows();
    out.resize(n, m_n_outputs);
    ws.in_cols.resize(static_cast<std::size_t>(m_n_vars));
    ws.out_cols.resize(static_cast<std::size_t>(m_n_outputs));
    for (Index j = 0; j < m_n_vars; ++j)
        ws.in_cols[static_cast<std::size_t>(j)] = in.col(j).data();
    for (Index k = 0; k < m_n_outputs; ++k)
        ws.out_cols[static_cast<std::size_t>(k)] = out.col(k).data();
    eval(ws.in_cols.data(), n, ws.out_cols.data(), ws);
}

void Program::eval(const double* const* in, Index n, double* const* out, Workspace& ws) const
{
    if (n <= 0)
        return;
    const std::size_t n_regs = static_cast<std::size_t>(m_n_vars + m_n_outputs + m_n_scratch);
    if (n < scalar_rows) {
        ws.regs.resize(n_regs);
        double* r = ws.regs.data();
        for (Index row = 0; row < n; ++row) {
            for (Index j = 0; j < m_n_vars; ++j)
                r[j] = in[j][row];
            for (const Instr& ins : m_code)
                r[ins.dst] = scalar_op(ins, r[ins.a], r[ins.b]);
            for (Index k = 0; k < m_n_outputs; ++k)
                out[k][row] = r[m_n_vars + k];
        }
        return;
    }

    ws.cols.resize(n_regs);
    const Index rows = std::min(n, block_rows);
    const std::size_t need = static_cast<std::size_t>(rows * m_n_scratch);
    if (ws.scratch.size() < need)
        ws.scratch.resize(need);
    const double** p = ws.cols.data();
    for (Index s = 0; s < m_n_scratch; ++s)
        p[m_n_vars + m_n_outputs + s] = ws.scratch.data() + s * rows;
    for (Index start = 0; start < n; start += rows) {
        const Index m = std::min(rows, n - start);
        for (Index j = 0; j < m_n_vars; ++j)
            p[j] = in[j] + start;
        for (Index k = 0; k < m_n_outputs; ++k)
            p[m_n_vars + k] = out[k] + start;
        for (const Instr& ins : m_code)
            vector_op(ins, m, p);
    }
}

} // namespace flowkit::expr
