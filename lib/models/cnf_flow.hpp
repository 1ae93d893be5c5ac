// The two solves of a trained continuous normalising flow (lecture notes "Continuous
// normalising flows"): the log-density of given points (backward from data at t = 1 to noise at
// t = 0, carrying the divergence integral) and the push-forward of noise (forward from t = 0),
// both in fixed blocks of rows solved in parallel, so the result does not depend on --threads.
#pragma once

#include "models/cnf_model.hpp"
#include "ode/observed_rk.hpp"

namespace flowkit::models {

/// Rows the solver steps together.
constexpr Index cnf_block_rows = 128;

/// The observation times of n rows that all run through `times`.
ode::ObservationTimes shared_times(Index n, const Vec& times);

/// log p_1(x) for every row of x (n x d): [x, 0] (with the row's probe under Hutchinson;
/// probes n x d, else null) solved from t = 1 to 0, then log N(z) + l(0).
Vec cnf_log_density(const CnfDensityField& field, const Mat& x, const Mat* probes,
                    const ode::SolverSettings& solver, int threads);

/// The flow of `velocity` from the rows of z at t = times(0) through every time of `times`:
/// row k n + r of the result is sample r at times(k) (time step by time step).
Mat cnf_push_forward(const ode::ParametricSystem& velocity, const Mat& z, const Vec& times,
                     const ode::SolverSettings& solver, int threads);

} // namespace flowkit::models
