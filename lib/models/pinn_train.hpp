// What `pinn-train` does between its options and its output: build the PINN, train it with the
// shared loop, write the model (kind "pinn"), and validate it on request against a tight
// dopri5 solution (lecture notes "A-posteriori error estimate": the residual bounds the error).
#pragma once

#include "models/pinn.hpp"
#include "models/pinn_loss.hpp"
#include "nn/training.hpp"
#include "ode/system.hpp"

#include <iosfwd>
#include <memory>
#include <optional>

namespace flowkit::models {

struct PinnTrainJob
{
    PinnArchitecture arch;
    PinnLossParams loss;
    nn::TrainingParams training;
    std::optional<io::Model> resumed; ///< --resume
    bool validate = false;
};

/// How far a trained PINN is from the truth.
struct PinnValidation
{
    double max_error = 0;    ///< max |N(t, x0) - x(t; x0)|_2 over the grid
    double rms_error = 0;    ///< RMS of the same
    double max_residual = 0; ///< max |dN/dt - F(N)|_2 on a Gauss-Legendre grid
    Index points = 0;        ///< grid points compared
};

/// Trains, writes the model (to job.training.output, or `out` when there is none), and with
/// job.validate writes `max_error,rms_error,max_residual` and one row to `out` (to stderr when
/// the model went to `out`).
void run_pinn_training(const PinnTrainJob& job, const ode::System& system, std::ostream& out);

/// The model file of a PINN with parameters theta.
io::Json pinn_model_json(const Pinn& pinn, const ode::System& system, const Vec& theta);

/// Errors at 101 times on [0, span] (for an ivp its initial condition; for a flow map 64
/// initial states drawn from the domain with `seed`; parametric: 64 parameter values drawn from
/// the box) against dopri5 at rtol = atol = 1e-12, and the residual at 5 Gauss-Legendre nodes
/// in each of 50 equal parts of [0, span].
PinnValidation validate_pinn(const Pinn& pinn, const Vec& theta, const ode::System& system,
                             std::uint64_t seed);

} // namespace flowkit::models
