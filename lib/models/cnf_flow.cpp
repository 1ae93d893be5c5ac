#include "models/cnf_flow.hpp"

#include "nn/batch.hpp"
#include "ode/sensitivity.hpp"

namespace flowkit::models {

namespace {

/// Solves the rows of x0 through `times` in blocks; states as ForwardSolve writes them (row r's
/// observations together, rows in order).
Mat solve_in_blocks(const ode::ParametricSystem& f, const Mat& x0, const Vec& times,
                    const ode::SolverSettings& solver, int threads)
{
    const Index n = x0.rows(), m = times.size();
    Mat states(n * m, x0.cols());
    nn::BatchEvaluator eval(threads, cnf_block_rows);
    const nn::BlockFn fn = [&](ad::Tape&, Index row0, Index rows, Vec& grad) {
        grad.resize(0);
        ode::ForwardSolve solve(solver);
        solve.label_rows([row0](Index r) { return "input row " + std::to_string(row0 + r + 1); });
        Mat block;
        solve.run(f, shared_times(rows, times), x0.middleRows(row0, rows), block, false);
        states.middleRows(row0 * m, rows * m) = block;
        return 0.0;
    };
    Vec unused;
    eval.evaluate(n, 0, fn, unused);
    return states;
}

} // namespace

ode::ObservationTimes shared_times(Index n, const Vec& times)
{
    ode::ObservationTimes out;
    out.t = times.replicate(n, 1);
    out.start.resize(std::size_t(n + 1));
    for (Index r = 0; r <= n; ++r)
        out.start[std::size_t(r)] = r * times.size();
    return out;
}

Vec cnf_log_density(const CnfDensityField& field, const Mat& x, const Mat* probes,
                    const ode::SolverSettings& solver, int threads)
{
    const Index n = x.rows(), d = field.data_dim();
    Mat x0 = Mat::Zero(n, field.dim());
    x0.leftCols(d) = x;
    if (field.trace() == TraceEstimator::hutchinson)
        x0.rightCols(d) = *probes;
    const Mat states = solve_in_blocks(field, x0, Vec::LinSpaced(2, 1.0, 0.0), solver, threads);
    Mat z(n, d);
    Vec l(n);
    for (Index r = 0; r < n; ++r) {
        z.row(r) = states.row(2 * r + 1).head(d);
        l(r) = states(2 * r + 1, d);
    }
    return standard_normal_log_density(z) + l;
}

Mat cnf_push_forward(const ode::ParametricSystem& velocity, const Mat& z, const Vec& times,
                     const ode::SolverSettings& solver, int threads)
{
    const Index n = z.rows(), m = times.size();
    const Mat states = solve_in_blocks(velocity, z, times, solver, threads);
    Mat out(n * m, z.cols());
    for (Index r = 0; r < n; ++r)
        for (Index k = 0; k < m; ++k)
            out.row(k * n + r) = states.row(r * m + k);
    return out;
}

} // namespace flowkit::models
