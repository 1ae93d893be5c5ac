// Every op in one switch: shape check and forward, or backward (kann's kad_op_*).
// Shapes [rows, cols], rows = samples. p = this node, A, B = children, x, y = their values,
// G = dL/dp (p's shape). Backward adds into A.grad / B.grad only where they need gradients.
#include "ad/tape.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

namespace flowkit::ad {

namespace {

std::string shape(const Mat& m)
{
    return std::to_string(m.rows()) + "x" + std::to_string(m.cols());
}

void need(bool ok, Op op, const Mat& x, const Mat& y)
{
    if (!ok)
        throw std::invalid_argument(std::string("ad::") + op_name(op) + ": shapes " + shape(x) +
                                    " and " + shape(y) + " do not match");
}

constexpr double inv_sqrt2 = 0.70710678118654752440;   // 1/sqrt(2)
constexpr double inv_sqrt2pi = 0.39894228040143267794; // 1/sqrt(2 pi)

/// Standard normal density of every entry (vectorised exp). phi is resized.
void normal_pdf(const Mat& x, Mat& phi)
{
    phi = (inv_sqrt2pi * (-0.5 * x.array().square()).exp()).matrix();
}

/// Standard normal CDF of every entry, 0.5 erfc(-x/sqrt 2): accurate in both tails. c is resized.
void normal_cdf(const Mat& x, Mat& c)
{
    c = x.unaryExpr([](double z) { return 0.5 * std::erfc(-z * inv_sqrt2); });
}

/// x clamped to [-40, 40], where the normal density underflows to 0.
auto clamp40(const Mat& x) { return x.array().max(-40.0).min(40.0); }

/// Gradient accumulation without zeroing first: g = e on the sweep's first write (set false),
/// g += e after.
template <class E> void put(Mat& g, bool& set, const Eigen::MatrixBase<E>& e)
{
    if (set) {
        g += e;
    } else {
        g = e;
        set = true;
    }
}
template <class E> void put(Mat& g, bool& set, const Eigen::ArrayBase<E>& e)
{
    put(g, set, e.matrix());
}

/// g = l r or g += l r, as put(); coefficient-based when the inner dimension is tiny.
constexpr Index kLazyDepth = 4; // inner dimensions up to this skip GEMM's packing and zeroing

template <class L, class R> void put_product(Mat& g, bool& set, const L& l, const R& r)
{
    if (l.cols() <= kLazyDepth) {
        if (set)
            g.noalias() += l.lazyProduct(r);
        else
            g.noalias() = l.lazyProduct(r);
    } else if (set) {
        g.noalias() += l * r;
    } else {
        g.noalias() = l * r;
    }
    set = true;
}

/// g, zeroed on the sweep's first write, for an op that adds into part of it.
Mat& zeroed(Mat& g, bool& set, const Mat& shape_of)
{
    if (!set) {
        g.setZero(shape_of.rows(), shape_of.cols());
        set = true;
    }
    return g;
}

} // namespace

const char* op_name(Op op)
{
    switch (op) {
    case Op::Input: return "input";
    case Op::Param: return "param";
    case Op::MatMul: return "matmul";
    case Op::MatMulT: return "matmul_t";
    case Op::Add: return "add";
    case Op::Sub: return "sub";
    case Op::Mul: return "mul";
    case Op::Div: return "div";
    case Op::Scale: return "scale";
    case Op::AddScalar: return "add_scalar";
    case Op::AddRowBroadcast: return "add_row";
    case Op::MulRowBroadcast: return "mul_row";
    case Op::SumRows: return "sum_rows";
    case Op::SumCols: return "sum_cols";
    case Op::Sum: return "sum";
    case Op::Mean: return "mean";
    case Op::Square: return "square";
    case Op::Cols: return "cols";
    case Op::ConcatCols: return "concat_cols";
    case Op::Tanh: return "tanh";
    case Op::TanhD1: return "tanh_d1";
    case Op::TanhD2: return "tanh_d2";
    case Op::TanhD3: return "tanh_d3";
    case Op::Sin: return "sin";
    case Op::Cos: return "cos";
    case Op::Softplus: return "softplus";
    case Op::Sigmoid: return "sigmoid";
    case Op::SigmoidD1: return "sigmoid_d1";
    case Op::SigmoidD2: return "sigmoid_d2";
    case Op::Silu: return "silu";
    case Op::SiluD1: return "silu_d1";
    case Op::SiluD2: return "silu_d2";
    case Op::SiluD3: return "silu_d3";
    case Op::Gelu: return "gelu";
    case Op::GeluD1: return "gelu_d1";
    case Op::GeluD2: return "gelu_d2";
    case Op::GeluD3: return "gelu_d3";
    case Op::Call: return "call";
    case Op::Count: break;
    }
    return "?";
}

void Tape::apply_call(Id i, bool backward)
{
    Node& p = m_nodes[i];
    CallRecord& c = m_calls[p.call_index];
    const std::size_t n = c.args.size();
    c.in.resize(n);
    for (std::size_t j = 0; j < n; ++j)
        c.in[j] = &m_nodes[c.args[j]].value;
    if (!backward) {
        c.f(c.in, p.value);
        return;
    }
    c.grads.resize(n);
    for (std::size_t j = 0; j < n; ++j) {
        Node& a = m_nodes[c.args[j]];
        c.grads[j] = a.needs_grad ? &zeroed(a.grad, a.grad_set, a.value) : nullptr;
    }
    c.b(c.in, p.value, p.grad, c.grads);
    for (std::size_t j = 0; j < n; ++j)
        if (c.grads[j] && (c.grads[j]->rows() != c.in[j]->rows() ||
                           c.grads[j]->cols() != c.in[j]->cols()))
            throw std::logic_error("ad::call: the backward function changed the gradient of "
                                   "argument " + std::to_string(j) + " from " +
                                   shape(*c.in[j]) + " to " + shape(*c.grads[j]));
}

void Tape::apply(Id i, bool backward)
{
    Node& p = m_nodes[i];
    if (p.op == Op::Call) {
        apply_call(i, backward);
        return;
    }
    Node& A = m_nodes[p.a];
    Node& B = m_nodes[p.b >= 0 ? p.b : p.a];
    const Mat& x = A.value;
    const Mat& y = B.value;
    Mat& v = p.value;
    const auto G = p.grad.array();
    const bool ga = backward && A.needs_grad;
    const bool gb = backward && p.b >= 0 && B.needs_grad;

    switch (p.op) {
    case Op::MatMul: // [m,k] * [k,n]
        if (!backward) {
            need(x.cols() == y.rows(), p.op, x, y);
            if (x.cols() <= kLazyDepth) v.noalias() = x.lazyProduct(y);
            else v.noalias() = x * y;
        }
        if (ga) put_product(A.grad, A.grad_set, p.grad, y.transpose()); // G_A += G B^T
        if (gb) put_product(B.grad, B.grad_set, x.transpose(), p.grad); // G_B += A^T G
        break;
    case Op::MatMulT: // [m,k] * [n,k]^T
        if (!backward) {
            need(x.cols() == y.cols(), p.op, x, y);
            if (x.cols() <= kLazyDepth) v.noalias() = x.lazyProduct(y.transpose());
            else v.noalias() = x * y.transpose();
        }
        if (ga) put_product(A.grad, A.grad_set, p.grad, y);             // G_A += G B
        if (gb) put_product(B.grad, B.grad_set, p.grad.transpose(), x); // G_B += G^T A
        break;
    case Op::Add:
    case Op::Sub:
    case Op::Mul:
    case Op::Div:
        if (!backward) {
            need(x.rows() == y.rows() && x.cols() == y.cols(), p.op, x, y);
            if (p.op == Op::Add) v = x + y;
            else if (p.op == Op::Sub) v = x - y;
            else if (p.op == Op::Mul) v = (x.array() * y.array()).matrix();
            else v = (x.array() / y.array()).matrix();
        } else if (p.op == Op::Add) {
            if (ga) put(A.grad, A.grad_set, p.grad);
            if (gb) put(B.grad, B.grad_set, p.grad);
        } else if (p.op == Op::Sub) {
            if (ga) put(A.grad, A.grad_set, p.grad);
            if (gb) put(B.grad, B.grad_set, -p.grad);
        } else if (p.op == Op::Mul) {
            if (ga) put(A.grad, A.grad_set, G * y.array());
            if (gb) put(B.grad, B.grad_set, G * x.array());
        } else {
            if (ga) put(A.grad, A.grad_set, G / y.array());                 // d(x/y)/dx = 1/y
            if (gb) put(B.grad, B.grad_set, -(G * v.array() / y.array())); // -(x/y)/y
        }
        break;
    case Op::Scale:
        if (!backward) v = p.s * x;
        if (ga) put(A.grad, A.grad_set, p.s * p.grad);
        break;
    case Op::AddScalar:
        if (!backward) v = (x.array() + p.s).matrix();
        if (ga) put(A.grad, A.grad_set, p.grad);
        break;
    case Op::AddRowBroadcast: // [m,n] + [1,n]
        if (!backward) {
            need(y.rows() == 1 && y.cols() == x.cols(), p.op, x, y);
            v = x.rowwise() + y.row(0);
        }
        if (ga) put(A.grad, A.grad_set, p.grad);
        if (gb) put(B.grad, B.grad_set, p.grad.colwise().sum());
        break;
    case Op::MulRowBroadcast: // [m,n] .* [1,n]
        if (!backward) {
            need(y.rows() == 1 && y.cols() == x.cols(), p.op, x, y);
            v = (x.array().rowwise() * y.row(0).array()).matrix();
        }
        if (ga) put(A.grad, A.grad_set, G.rowwise() * y.row(0).array());
        if (gb) put(B.grad, B.grad_set, (G * x.array()).matrix().colwise().sum());
        break;
    case Op::SumRows: // [m,n] -> [1,n]
        if (!backward) v = x.colwise().sum();
        if (ga) put(A.grad, A.grad_set, p.grad.row(0).replicate(x.rows(), 1));
        break;
    case Op::SumCols: // [m,n] -> [m,1]
        if (!backward) v = x.rowwise().sum();
        if (ga) put(A.grad, A.grad_set, p.grad.col(0).replicate(1, x.cols()));
        break;
    case Op::Sum: // [m,n] -> [1,1]
        if (!backward) v.setConstant(1, 1, x.sum());
        if (ga) put(A.grad, A.grad_set, Mat::Constant(x.rows(), x.cols(), p.grad(0, 0)));
        break;
    case Op::Mean: // [m,n] -> [1,1]
        if (!backward) {
            if (x.size() == 0)
                throw std::invalid_argument("ad::mean: empty matrix " + shape(x));
            v.setConstant(1, 1, x.mean());
        }
        if (ga)
            put(A.grad, A.grad_set,
                Mat::Constant(x.rows(), x.cols(), p.grad(0, 0) / static_cast<double>(x.size())));
        break;
    case Op::Square:
        if (!backward) v = x.array().square().matrix();
        if (ga) put(A.grad, A.grad_set, 2.0 * G * x.array());
        break;
    case Op::Cols: // [m,n] -> [m,count]
        if (!backward) {
            if (p.start < 0 || p.count < 0 || p.start + p.count > x.cols())
                throw std::invalid_argument("ad::cols: columns [" + std::to_string(p.start) +
                                            ", " + std::to_string(p.start + p.count) +
                                            ") out of shape " + shape(x));
            v = x.middleCols(p.start, p.count);
        }
        if (ga) zeroed(A.grad, A.grad_set, x).middleCols(p.start, p.count) += p.grad;
        break;
    case Op::ConcatCols: // [m,n1], [m,n2] -> [m,n1+n2]
        if (!backward) {
            need(x.rows() == y.rows(), p.op, x, y);
            v.resize(x.rows(), x.cols() + y.cols());
            v.leftCols(x.cols()) = x;
            v.rightCols(y.cols()) = y;
        }
        if (ga) put(A.grad, A.grad_set, p.grad.leftCols(x.cols()));
        if (gb) put(B.grad, B.grad_set, p.grad.rightCols(y.cols()));
        break;
    // tanh of a node is computed once: A.tanh_src is the first Tanh node (t in its value) or
    // TanhD* node (t in its aux) of argument A; later ones read t there.
    case Op::Tanh: // t' = 1 - t^2
        if (!backward) {
            tanh_values(x, v);
            if (A.tanh_src < 0) A.tanh_src = i;
        }
        if (ga) put(A.grad, A.grad_set, G * (1.0 - v.array().square()));
        break;
    case Op::TanhD1: // v = 1 - t^2;  v' = -2 t (1 - t^2)
    case Op::TanhD2: // v = -2 t (1 - t^2);  v' = (6 t^2 - 2)(1 - t^2)
    case Op::TanhD3: // v = (6 t^2 - 2)(1 - t^2);  v' = 8 t (2 - 3 t^2)(1 - t^2)
    {
        if (!backward && A.tanh_src < 0) {
            tanh_values(x, p.aux);
            A.tanh_src = i;
        }
        const auto t = tanh_of(A.tanh_src).array();
        if (!backward) {
            if (p.op == Op::TanhD1) v = (1.0 - t.square()).matrix();
            else if (p.op == Op::TanhD2) v = (-2.0 * t * (1.0 - t.square())).matrix();
            else v = ((6.0 * t.square() - 2.0) * (1.0 - t.square())).matrix();
        }
        if (ga) {
            if (p.op == Op::TanhD1) put(A.grad, A.grad_set, G * (-2.0 * t * v.array()));
            else if (p.op == Op::TanhD2)
                put(A.grad, A.grad_set, G * (6.0 * t.square() - 2.0) * (1.0 - t.square()));
            else
                put(A.grad, A.grad_set,
                    G * 8.0 * t * (2.0 - 3.0 * t.square()) * (1.0 - t.square()));
        }
        break;
    }
    case Op::Sin:
        if (!backward) v = x.array().sin().matrix();
        if (ga) put(A.grad, A.grad_set, G * x.array().cos());
        break;
    case Op::Cos:
        if (!backward) v = x.array().cos().matrix();
        if (ga) put(A.grad, A.grad_set, -(G * x.array().sin()));
        break;
    case Op::Softplus: // max(x, 0) + log(1 + e^{-|x|});  v' = sigmoid(x)
        if (!backward) {
            sigmoid_values(x, p.aux);
            v = (x.array().max(0.0) + (-x.array().abs()).exp().log1p()).matrix();
        }
        if (ga) put(A.grad, A.grad_set, G * p.aux.array());
        break;
    case Op::Sigmoid: // s' = s (1 - s)
        if (!backward) sigmoid_values(x, v);
        if (ga) put(A.grad, A.grad_set, G * v.array() * (1.0 - v.array()));
        break;
    case Op::SigmoidD1: // aux = s;  v = s (1 - s);  v' = v (1 - 2 s)
        if (!backward) {
            sigmoid_values(x, p.aux);
            v = (p.aux.array() * (1.0 - p.aux.array())).matrix();
        }
        if (ga) put(A.grad, A.grad_set, G * v.array() * (1.0 - 2.0 * p.aux.array()));
        break;
    case Op::SigmoidD2: // v = s (1 - s)(1 - 2 s);  v' = s (1 - s)(1 - 6 s + 6 s^2)
        if (!backward) {
            sigmoid_values(x, p.aux);
            v = (p.aux.array() * (1.0 - p.aux.array()) * (1.0 - 2.0 * p.aux.array())).matrix();
        }
        if (ga)
            put(A.grad, A.grad_set, G * p.aux.array() * (1.0 - p.aux.array()) *
                              (1.0 - 6.0 * p.aux.array() + 6.0 * p.aux.array().square()));
        break;
    // SiLU: aux = s = sigmoid(x); s1 = s (1 - s), s2 = s1 (1 - 2 s),
    // s3 = s1 (1 - 6 s + 6 s^2), s4 = s1 (1 - 2 s)(1 - 12 s + 12 s^2);  (x s)^(k) = k s_(k-1) + x s_k
    case Op::Silu: // v = x s;  v' = s + x s1
        if (!backward) {
            sigmoid_values(x, p.aux);
            v = (x.array() * p.aux.array()).matrix();
        }
        if (ga) {
            const auto s = p.aux.array();
            put(A.grad, A.grad_set, G * (s + x.array() * s * (1.0 - s)));
        }
        break;
    case Op::SiluD1: // v = s + x s1;  v' = 2 s1 + x s2
        if (!backward) {
            sigmoid_values(x, p.aux);
            const auto s = p.aux.array();
            v = (s + x.array() * s * (1.0 - s)).matrix();
        }
        if (ga) {
            const auto s = p.aux.array();
            put(A.grad, A.grad_set, G * s * (1.0 - s) * (2.0 + x.array() * (1.0 - 2.0 * s)));
        }
        break;
    case Op::SiluD2: // v = 2 s1 + x s2;  v' = 3 s2 + x s3
        if (!backward) {
            sigmoid_values(x, p.aux);
            const auto s = p.aux.array();
            v = (s * (1.0 - s) * (2.0 + x.array() * (1.0 - 2.0 * s))).matrix();
        }
        if (ga) {
            const auto s = p.aux.array();
            put(A.grad, A.grad_set, G * s * (1.0 - s) *
                              (3.0 * (1.0 - 2.0 * s) + x.array() * (1.0 - 6.0 * s + 6.0 * s.square())));
        }
        break;
    case Op::SiluD3: // v = 3 s2 + x s3;  v' = 4 s3 + x s4
        if (!backward) {
            sigmoid_values(x, p.aux);
            const auto s = p.aux.array();
            v = (s * (1.0 - s) *
                 (3.0 * (1.0 - 2.0 * s) + x.array() * (1.0 - 6.0 * s + 6.0 * s.square())))
                    .matrix();
        }
        if (ga) {
            const auto s = p.aux.array();
            put(A.grad, A.grad_set, G * s * (1.0 - s) *
                              (4.0 * (1.0 - 6.0 * s + 6.0 * s.square()) +
                               x.array() * (1.0 - 2.0 * s) * (1.0 - 12.0 * s + 12.0 * s.square())));
        }
        break;
    // GELU: Phi = normal CDF, phi = density, phi' = -x phi. The polynomials in x take x
    // clamped to [-40, 40] (phi = 0 there already), so that they stay finite for any x.
    case Op::Gelu: // aux = Phi;  v = x Phi;  v' = Phi + x phi
        if (!backward) {
            normal_cdf(x, p.aux);
            v = (x.array() * p.aux.array()).matrix();
        }
        if (ga)
            put(A.grad, A.grad_set, G * (p.aux.array() + inv_sqrt2pi * x.array() *
                                                       (-0.5 * x.array().square()).exp()));
        break;
    case Op::GeluD1: // aux = phi;  v = Phi + x phi;  v' = (2 - x^2) phi
        if (!backward) {
            normal_pdf(x, p.aux);
            normal_cdf(x, v);
            v.array() += x.array() * p.aux.array();
        }
        if (ga) put(A.grad, A.grad_set, G * (2.0 - clamp40(x).square()) * p.aux.array());
        break;
    case Op::GeluD2: // aux = phi;  v = (2 - x^2) phi;  v' = x (x^2 - 4) phi
        if (!backward) {
            normal_pdf(x, p.aux);
            v = ((2.0 - clamp40(x).square()) * p.aux.array()).matrix();
        }
        if (ga) {
            const auto xc = clamp40(x);
            put(A.grad, A.grad_set, G * xc * (xc.square() - 4.0) * p.aux.array());
        }
        break;
    case Op::GeluD3: // aux = phi;  v = x (x^2 - 4) phi;  v' = (-x^4 + 7 x^2 - 4) phi
        if (!backward) {
            normal_pdf(x, p.aux);
            const auto xc = clamp40(x);
            v = (xc * (xc.square() - 4.0) * p.aux.array()).matrix();
        }
        if (ga) {
            const auto x2 = clamp40(x).square();
            put(A.grad, A.grad_set, G * ((7.0 - x2) * x2 - 4.0) * p.aux.array());
        }
        break;
    case Op::Call: // apply_call, above
    case Op::Input:
    case Op::Param:
    case Op::Count:
        throw std::logic_error(std::string("ad: apply on a leaf or invalid op ") + op_name(p.op));
    }
}

} // namespace flowkit::ad
