// A small reverse-mode tape over Eigen matrices (DESIGN.md "Derivatives"; kann's design).
// Rows = samples. Activations' derivatives are primitive ops, so a model writes its input
// gradients and time tangents as ordinary ops and one reverse sweep differentiates them too.
#pragma once

#include "core/eigen.hpp"

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
    Count
};

/// Lower-case name of an op, as used in error messages ("matmul_t").
const char* op_name(Op op);

/// tanh of every entry through Eigen's vectorised exp: t = sign(x) (1 - u)/(1 + u) with
/// u = exp(-2|x|) in (0, 1], so there is no overflow for any x. t is resized.
void tanh_values(const Mat& x, Mat& t);

/// Logistic sigmoid 1/(1 + exp(-x)) of every entry (exp overflow gives 0, not NaN). s is resized.
void sigmoid_values(const Mat& x, Mat& s);

/// Records ops, evaluating each value as it is recorded; backward() fills every gradient.
/// Ids are indices into the tape, valid until clear().
class Tape
{
public:
    using Id = int;

    /// Constant leaf: gets no gradient.
    Id input(const Mat& value);
    /// Leaf whose gradient backward() computes.
    Id param(const Mat& value);

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

    const Mat& value(Id id) const;
    /// Gradient of the last backward()'s loss; the value's shape. Throws std::invalid_argument
    /// for a node that needs no gradient (an input and everything computed from inputs only).
    const Mat& grad(Id id) const;
    Op op(Id id) const;
    bool needs_grad(Id id) const;
    /// Number of nodes on the tape.
    Id size() const { return m_size; }

    /// loss must be 1 x 1 (else std::invalid_argument). Zeroes the gradients of every node up to
    /// loss, seeds d loss/d loss = 1 and walks back, adding into the children that need it.
    void backward(Id loss);

    /// Forgets the nodes but keeps their matrices: rebuilding a graph of the same shapes
    /// allocates nothing.
    void clear() { m_size = 0; }

private:
    struct Node
    {
        Mat value, grad;
        Mat aux; // tanh or sigmoid of the child, for the activation derivatives
        Op op = Op::Input;
        Id a = -1, b = -1;
        double s = 0.0;
        Index start = 0, count = 0;
        bool needs_grad = false;
    };

    Id leaf(Op op, const Mat& value);
    Id push(Op op, Id a, Id b = -1, double s = 0.0, Index start = 0, Index count = 0);
    void check_id(Id id, const char* what) const;
    /// ops.cpp: shape check and forward (backward = false) or backward of node i.
    void apply(Id i, bool backward);

    std::vector<Node> m_nodes; // m_nodes[m_size..] are kept for reuse
    Id m_size = 0;
};

} // namespace flowkit::ad
