// Program: several expressions compiled together into one flat instruction list over whole
// columns (a batch of rows per instruction), with common subexpressions computed once.
#pragma once

#include "core/eigen.hpp"
#include "expr/expr.hpp"

#include <cstdint>
#include <vector>

namespace flowkit::expr {

namespace detail {

/// One column operation: reg[dst] = code(reg[a], reg[b], c). Registers: inputs, then outputs,
/// then scratch columns.
struct Instr
{
    std::uint8_t code = 0;
    std::int32_t dst = -1, a = -1, b = -1;
    double c = 0;
};

} // namespace detail

/// Batch evaluator of expressions over variables x_0 .. x_{n_vars-1}.
/// Each instruction runs one operation over a block of up to 256 rows with vectorised Eigen array
/// expressions (blocks keep the live scratch columns in cache); x^k for integer |k| <= 8 is
/// multiplications, x^0.5 a square root; batches of fewer than 4 rows run a scalar interpreter.
/// Results match Expr::eval to a few ulp per operation (vectorised exp/log, own tanh).
/// Scratch is (256 x n_scratch) doubles, allocated on first use: no allocation per call after.
/// Thread-safety: eval(in, out) uses a buffer inside the Program, so one Program must not be
/// evaluated from two threads at once that way; give each thread its own Workspace instead.
class Program
{
public:
    /// Per-call buffers; reusable across calls and Programs, one per thread.
    struct Workspace
    {
        std::vector<double> scratch;             // block_rows x n_scratch, column-major
        std::vector<const double*> cols;         // column pointer per register
        std::vector<double> regs;                // scalar path: one row of registers
        std::vector<const double*> in_cols;      // eval(Mat): input column pointers
        std::vector<double*> out_cols;           // eval(Mat): output column pointers
    };

    Program() = default;
    /// Compiles `outputs`; every variable index must be < n_vars (else std::invalid_argument).
    Program(const std::vector<Expr>& outputs, Index n_vars);

    Index n_vars() const { return m_n_vars; }
    Index n_outputs() const { return m_n_outputs; }
    /// Number of instructions and of scratch columns (for tests and benchmarks).
    Index n_instructions() const { return static_cast<Index>(m_code.size()); }
    Index n_scratch() const { return m_n_scratch; }

    /// in: n x n_vars (column j = variable j over the batch); out is resized to n x n_outputs.
    /// `out` must not alias `in`. Uses the Program's own workspace: not thread-safe.
    void eval(const Eigen::Ref<const Mat>& in, Mat& out) const;
    /// As above with a caller-owned workspace: concurrent calls with distinct workspaces are safe.
    void eval(const Eigen::Ref<const Mat>& in, Mat& out, Workspace& ws) const;
    /// Column pointers: in[j] points at n values of variable j, out[k] at n values to overwrite
    /// with output k (e.g. t from a separate vector, outputs into blocks of a larger matrix).
    /// Output columns must not overlap input columns.
    void eval(const double* const* in, Index n, double* const* out, Workspace& ws) const;

private:
    Index m_n_vars = 0;
    Index m_n_outputs = 0;
    Index m_n_scratch = 0;
    std::vector<detail::Instr> m_code;
    mutable Workspace m_ws;
};

} // namespace flowkit::expr
