// Node storage, recording (forward as ops are recorded) and the reverse sweep.
#include "ad/tape.hpp"

#include <stdexcept>
#include <string>
#include <utility>

namespace flowkit::ad {

void Tape::check_id(Id id, const char* what) const
{
    if (id < 0 || id >= m_size)
        throw std::invalid_argument(std::string("ad::") + what + ": node " + std::to_string(id) +
                                    " is not on the tape (" + std::to_string(m_size) +
                                    " nodes)");
}

Mat& Tape::leaf_storage(Op op, Id& id)
{
    if (m_size == static_cast<Id>(m_nodes.size()))
        m_nodes.emplace_back();
    Node& p = m_nodes[m_size];
    p.op = op;
    p.a = p.b = -1;
    p.tanh_src = -1;
    p.needs_grad = op == Op::Param;
    id = m_size++;
    return p.value;
}

Tape::Id Tape::leaf(Op op, const Mat& value)
{
    Id id;
    leaf_storage(op, id) = value;
    return id;
}

Tape::Id Tape::push(Op op, Id a, Id b, double s, Index start, Index count)
{
    check_id(a, op_name(op));
    if (b >= 0 || op == Op::MatMul || op == Op::MatMulT || op == Op::Add || op == Op::Sub ||
        op == Op::Mul || op == Op::Div || op == Op::AddRowBroadcast ||
        op == Op::MulRowBroadcast || op == Op::ConcatCols)
        check_id(b, op_name(op));
    if (m_size == static_cast<Id>(m_nodes.size()))
        m_nodes.emplace_back();
    Node& p = m_nodes[m_size];
    p.op = op;
    p.a = a;
    p.b = b;
    p.s = s;
    p.start = start;
    p.count = count;
    p.tanh_src = -1;
    p.needs_grad = m_nodes[a].needs_grad || (b >= 0 && m_nodes[b].needs_grad);
    apply(m_size, false); // throws before the node is counted
    return m_size++;
}

Tape::Id Tape::input(const Mat& value) { return leaf(Op::Input, value); }
Tape::Id Tape::param(const Mat& value) { return leaf(Op::Param, value); }
Tape::Id Tape::matmul(Id a, Id b) { return push(Op::MatMul, a, b); }
Tape::Id Tape::matmul_t(Id a, Id b) { return push(Op::MatMulT, a, b); }
Tape::Id Tape::add(Id a, Id b) { return push(Op::Add, a, b); }
Tape::Id Tape::sub(Id a, Id b) { return push(Op::Sub, a, b); }
Tape::Id Tape::mul(Id a, Id b) { return push(Op::Mul, a, b); }
Tape::Id Tape::div(Id a, Id b) { return push(Op::Div, a, b); }
Tape::Id Tape::scale(Id a, double s) { return push(Op::Scale, a, -1, s); }
Tape::Id Tape::add_scalar(Id a, double s) { return push(Op::AddScalar, a, -1, s); }
Tape::Id Tape::add_row(Id a, Id b) { return push(Op::AddRowBroadcast, a, b); }
Tape::Id Tape::mul_row(Id a, Id b) { return push(Op::MulRowBroadcast, a, b); }
Tape::Id Tape::sum_rows(Id a) { return push(Op::SumRows, a); }
Tape::Id Tape::sum_cols(Id a) { return push(Op::SumCols, a); }
Tape::Id Tape::sum(Id a) { return push(Op::Sum, a); }
Tape::Id Tape::mean(Id a) { return push(Op::Mean, a); }
Tape::Id Tape::square(Id a) { return push(Op::Square, a); }
Tape::Id Tape::cols(Id a, Index start, Index count)
{
    return push(Op::Cols, a, -1, 0.0, start, count);
}
Tape::Id Tape::concat_cols(Id a, Id b) { return push(Op::ConcatCols, a, b); }
Tape::Id Tape::tanh(Id a) { return push(Op::Tanh, a); }
Tape::Id Tape::tanh_d1(Id a) { return push(Op::TanhD1, a); }
Tape::Id Tape::tanh_d2(Id a) { return push(Op::TanhD2, a); }
Tape::Id Tape::tanh_d3(Id a) { return push(Op::TanhD3, a); }
Tape::Id Tape::sin(Id a) { return push(Op::Sin, a); }
Tape::Id Tape::cos(Id a) { return push(Op::Cos, a); }
Tape::Id Tape::softplus(Id a) { return push(Op::Softplus, a); }
Tape::Id Tape::sigmoid(Id a) { return push(Op::Sigmoid, a); }
Tape::Id Tape::sigmoid_d1(Id a) { return push(Op::SigmoidD1, a); }
Tape::Id Tape::sigmoid_d2(Id a) { return push(Op::SigmoidD2, a); }
Tape::Id Tape::silu(Id a) { return push(Op::Silu, a); }
Tape::Id Tape::silu_d1(Id a) { return push(Op::SiluD1, a); }
Tape::Id Tape::silu_d2(Id a) { return push(Op::SiluD2, a); }
Tape::Id Tape::silu_d3(Id a) { return push(Op::SiluD3, a); }
Tape::Id Tape::gelu(Id a) { return push(Op::Gelu, a); }
Tape::Id Tape::gelu_d1(Id a) { return push(Op::GeluD1, a); }
Tape::Id Tape::gelu_d2(Id a) { return push(Op::GeluD2, a); }
Tape::Id Tape::gelu_d3(Id a) { return push(Op::GeluD3, a); }

Tape::Id Tape::call(const std::vector<Id>& args, Forward f, Backward b)
{
    bool needs = false;
    for (Id a : args) {
        check_id(a, "call");
        needs = needs || m_nodes[a].needs_grad;
    }
    if (!f)
        throw std::invalid_argument("ad::call: no forward function");
    if (needs && !b)
        throw std::invalid_argument(
            "ad::call: an argument needs a gradient but no backward function was given");
    if (m_ncalls == static_cast<int>(m_calls.size()))
        m_calls.emplace_back();
    CallRecord& c = m_calls[m_ncalls];
    c.args = args;
    c.f = std::move(f);
    c.b = std::move(b);
    if (m_size == static_cast<Id>(m_nodes.size()))
        m_nodes.emplace_back();
    Node& p = m_nodes[m_size];
    p.op = Op::Call;
    p.a = args.empty() ? -1 : args[0]; // backward() visits nodes with a >= 0
    p.b = -1;
    p.s = 0.0;
    p.start = p.count = 0;
    p.call_index = m_ncalls;
    p.tanh_src = -1;
    p.needs_grad = needs;
    apply_call(m_size, false); // throws before the node is counted
    ++m_ncalls;
    return m_size++;
}

const Mat& Tape::value(Id id) const
{
    check_id(id, "value");
    return m_nodes[id].value;
}

const Mat& Tape::grad(Id id) const
{
    check_id(id, "grad");
    if (!m_nodes[id].needs_grad)
        throw std::invalid_argument("ad::grad: node " + std::to_string(id) + " (" +
                                    op_name(m_nodes[id].op) + ") needs no gradient");
    return m_nodes[id].grad;
}

Op Tape::op(Id id) const
{
    check_id(id, "op");
    return m_nodes[id].op;
}

bool Tape::needs_grad(Id id) const
{
    check_id(id, "needs_grad");
    return m_nodes[id].needs_grad;
}

void Tape::backward(Id loss)
{
    check_id(loss, "backward");
    const Mat& v = m_nodes[loss].value;
    if (v.rows() != 1 || v.cols() != 1)
        throw std::invalid_argument("ad::backward: loss must be 1x1 (got " +
                                    std::to_string(v.rows()) + "x" + std::to_string(v.cols()) +
                                    ")");
    // A child's gradient is assigned by the first parent that reaches it and added to by the
    // others (grad_set), so nothing is zeroed first. A node the loss does not reach has a zero
    // gradient and is not visited; its gradient is set to zero at the end.
    for (Id i = 0; i <= loss; ++i)
        m_nodes[i].grad_set = false;
    if (m_nodes[loss].needs_grad) {
        m_nodes[loss].grad.setConstant(1, 1, 1.0);
        m_nodes[loss].grad_set = true;
        for (Id i = loss; i >= 0; --i)
            if (m_nodes[i].grad_set && m_nodes[i].a >= 0)
                apply(i, true);
    }
    for (Id i = 0; i <= loss; ++i) {
        Node& p = m_nodes[i];
        if (p.needs_grad && !p.grad_set)
            p.grad.setZero(p.value.rows(), p.value.cols());
    }
}

} // namespace flowkit::ad
