// A small reverse-mode tape over Eigen matrices (DESIGN.md "Derivatives"; kann's design).
// Rows = samples. Activations' derivatives are primitive ops, so a model writes its input
// gradients and time tangents as ordinary ops and one reverse sweep differentiates them too.
#pragma once

#include "ad/activation_values.hpp"
#include "core/eigen.hpp"

#include <functional>
#include <vector>

namespace flowkit::ad {

/// Every operation the tape knows; Count is the number of ops (tests loop up to it).
enum class Op
{
    Input,           // constant leaf, no gradient
    Param,           // leaf that needs a gradient
    MatMul,          // [m,k] * [k,n] -> [m,n]
    MatMulT,         // [m,k] * [n,k]^T -> [m,n]
    Add,             // [m,n] + [m,n]
    Sub,             // [m,n] - [m,n]
    Mul,             // [m,n] .* [m,n]
    Div,             // [m,n] ./ [m,n]
    Scale,           // s * [m,n]
    AddScalar,       // [m,n] + s
    AddRowBroadcast, // [m,n] + [1,n] to every row
    MulRowBroadcast, // [m,n] .* [1,n] in every row
    SumRows,         // [m,n] -> [1,n] column sums
    SumCols,         // [m,n] -> [m,1] row sums
    Sum,             // [m,n] -> [1,1]
    Mean,            // [m,n] -> [1,1]
    Square,          // [m,n] .^ 2
    Cols,            // [m,n] -> [m,count], columns [start, start + count)
    ConcatCols,      // [m,n1], [m,n2] -> [m,n1+n2]
    Tanh,
    TanhD1, // tanh'   = 1 - t^2
    TanhD2, // tanh''  = -2 t (1 - t^2)
    TanhD3, // tanh''' = (6 t^2 - 2)(1 - t^2)
    Sin,
    Cos,
    Softplus, // log(1 + e^x); its derivative is sigmoid
    Sigmoid,
    SigmoidD1, // s' = s (1 - s)
    SigmoidD2, // s'' = s (1 - s)(1 - 2 s)
    Silu,      // x s, s = sigmoid(x); s1..s4 = its derivatives
    SiluD1,    // s + x s1
    SiluD2,    // 2 s1 + x s2
    SiluD3,    // 3 s2 + x s3; its backward is 4 s3 + x s4
    Gelu,      // x Phi(x), Phi the standard normal CDF, phi its density
    GeluD1,    // Phi + x phi
    GeluD2,    // (2 - x^2) phi
    GeluD3,    // x (x^2 - 4) phi; its backward is (-x^4 + 7 x^2 - 4) phi
    Call,      // an outside function of any number of nodes, given with its VJP
    Count
};

/// Lower-case name of an op, as used in error messages ("matmul_t").
const char* op_name(Op op);

/// Records ops, evaluating each value as it is recorded; backward() fills every gradient.
/// Ids are indices into the tape, valid until clear().
class Tape
{
public:
    using Id = int;

    /// An outside function for call(): in[j] is the value of args[j]. out holds stale content
    /// of any shape (its matrix is reused): assign or resize it.
    using Forward = std::function<void(const std::vector<const Mat*>& in, Mat& out)>;
    /// The VJP of a Forward: ADDS out_grad^T dF/d in[j] into *in_grads[j] (already of the
    /// shape of in[j]) for every non-null entry; an entry is null when args[j] needs no gradient.
    using Backward = std::function<void(const std::vector<const Mat*>& in, const Mat& out,
                                        const Mat& out_grad, const std::vector<Mat*>& in_grads)>;

    /// Constant leaf: gets no gradient.
    Id input(const Mat& value);
    /// Leaf whose gradient backward() computes.
    Id param(const Mat& value);
    /// Leaves from any Eigen expression (e.g. a Map into a flat parameter vector), copied into
    /// the node's reused storage: no allocation once the tape has held a leaf of that size.
    template <class Derived> Id input(const Eigen::MatrixBase<Derived>& value)
    {
        Id id;
        leaf_storage(Op::Input, id) = value;
        return id;
    }
    template <class Derived> Id param(const Eigen::MatrixBase<Derived>& value)
    {
        Id id;
        leaf_storage(Op::Param, id) = value;
        return id;
    }

    // Every op below throws std::invalid_argument (op name and shapes) on a shape mismatch
    // or an id that is not on the tape.
    Id matmul(Id a, Id b);   ///< a * b
    Id matmul_t(Id a, Id b); ///< a * b^T
    Id add(Id a, Id b);
    Id sub(Id a, Id b);
    Id mul(Id a, Id b); ///< elementwise
    Id div(Id a, Id b); ///< elementwise
    Id scale(Id a, double s);
    Id add_scalar(Id a, double s);
    Id add_row(Id a, Id b); ///< b is 1 x a.cols(), added to every row of a
    Id mul_row(Id a, Id b); ///< b is 1 x a.cols(), multiplies every row of a elementwise
    Id sum_rows(Id a);      ///< column sums, 1 x n
    Id sum_cols(Id a);      ///< row sums, m x 1
    Id sum(Id a);           ///< 1 x 1
    Id mean(Id a);          ///< 1 x 1
    Id square(Id a);
    Id cols(Id a, Index start, Index count); ///< columns [start, start + count)
    Id concat_cols(Id a, Id b);
    Id tanh(Id a);
    Id tanh_d1(Id a); ///< d/dx tanh; its gradient uses tanh_d2
    Id tanh_d2(Id a); ///< its gradient uses tanh_d3
    Id tanh_d3(Id a);
    Id sin(Id a);
    Id cos(Id a);
    Id softplus(Id a); ///< its derivative is sigmoid(a)
    Id sigmoid(Id a);  ///< its derivative is sigmoid_d1(a)
    Id sigmoid_d1(Id a);
    Id sigmoid_d2(Id a);
    Id silu(Id a);    ///< a sigmoid(a); its derivative is silu_d1(a)
    Id silu_d1(Id a); ///< its gradient uses silu_d2
    Id silu_d2(Id a); ///< its gradient uses silu_d3
    Id silu_d3(Id a);
    Id gelu(Id a);    ///< exact GELU a Phi(a) (Phi through std::erfc); derivative gelu_d1(a)
    Id gelu_d1(Id a); ///< its gradient uses gelu_d2
    Id gelu_d2(Id a); ///< its gradient uses gelu_d3
    Id gelu_d3(Id a);

    /// F(args) for an outside function F with its VJP b, evaluated now by f (like every op).
    /// The node needs a gradient when an argument does; b may then not be empty (throws
    /// std::invalid_argument, as for an id not on the tape or an empty f). b is called by
    /// backward() and must not change the shape of an in_grads matrix (std::logic_error).
    Id call(const std::vector<Id>& args, Forward f, Backward b);

    const Mat& value(Id id) const;
    /// Gradient of the last backward()'s loss; the value's shape. Throws std::invalid_argument
    /// for a node that needs no gradient (an input and everything computed from inputs only).
    const Mat& grad(Id id) const;
    Op op(Id id) const;
    bool needs_grad(Id id) const;
    /// Number of nodes on the tape.
    Id size() const { return m_size; }

    /// loss must be 1 x 1 (else std::invalid_argument). Seeds d loss/d loss = 1 and walks back
    /// over the nodes the loss reaches, into the children that need it (the first contribution
    /// is assigned, later ones added); every other node up to loss that needs a gradient gets
    /// zero.
    void backward(Id loss);

    /// Forgets the nodes but keeps their matrices: rebuilding a graph of the same shapes
    /// allocates nothing.
    void clear()
    {
        m_size = 0;
        m_ncalls = 0;
    }

private:
    /// A new leaf node of kind op; returns its value matrix for the caller to fill.
    Mat& leaf_storage(Op op, Id& id);

    struct Node
    {
        Mat value, grad;
        Mat aux; // tanh or sigmoid of the child, for the activation derivatives
        Op op = Op::Input;
        Id a = -1, b = -1;
        double s = 0.0;
        Index start = 0, count = 0;
        int call_index = -1; // Op::Call: its entry in m_calls
        Id tanh_src = -1;    // a node holding tanh(this value): Op::Tanh (value) or TanhD* (aux)
        bool needs_grad = false;
        bool grad_set = false; // backward(): grad has been written in this sweep
    };

    /// An Op::Call node's function, VJP and arguments; in and grads are scratch for the calls.
    struct CallRecord
    {
        std::vector<Id> args;
        Forward f;
        Backward b;
        std::vector<const Mat*> in;
        std::vector<Mat*> grads;
    };

    Id leaf(Op op, const Mat& value);
    Id push(Op op, Id a, Id b = -1, double s = 0.0, Index start = 0, Index count = 0);
    void check_id(Id id, const char* what) const;
    /// ops.cpp: shape check and forward (backward = false) or backward of node i.
    void apply(Id i, bool backward);
    /// ops.cpp: forward or backward of an Op::Call node.
    void apply_call(Id i, bool backward);
    /// The matrix holding tanh of node src's argument (its value for Op::Tanh, else its aux).
    const Mat& tanh_of(Id src) const
    {
        return m_nodes[src].op == Op::Tanh ? m_nodes[src].value : m_nodes[src].aux;
    }

    std::vector<Node> m_nodes; // m_nodes[m_size..] are kept for reuse
    Id m_size = 0;
    std::vector<CallRecord> m_calls; // m_calls[m_ncalls..] are kept for reuse
    int m_ncalls = 0;
};

} // namespace flowkit::ad
