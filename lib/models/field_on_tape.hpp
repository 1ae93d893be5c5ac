// A System's vector field as a tape operation (DESIGN.md "Derivatives": how F enters a loss
// without lib/ad knowing lib/ode), and the model-file envelope shared by the learned models.
#pragma once

#include "ad/tape.hpp"
#include "io/model_json.hpp"
#include "ode/system.hpp"

#include <string>

namespace flowkit::models {

/// F(t, X) as a node, with the VJP (dF/dx)^T a for the reverse sweep. t (one entry per row of X)
/// and system must outlive the tape's backward().
ad::Tape::Id field_on_tape(ad::Tape& tape, const ode::System& system, const Vec& t, ad::Tape::Id X);

/// A learned model's file: the envelope, the system it was trained on, the architecture and
/// the parameters theta.
io::Json learned_model_json(const std::string& kind, const ode::System& system,
                            io::Json architecture, const Vec& theta);

} // namespace flowkit::models
