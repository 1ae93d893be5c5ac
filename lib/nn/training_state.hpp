// The optimiser and generator states in a model file's "state" (DESIGN.md "Model JSON",
// docs/model-format.md): written with every double in its shortest round-trip form, so that a
// resumed run continues bit for bit. Readers check every size against the parameter count.
#pragma once

#include "core/rng.hpp"
#include "io/model_json.hpp"
#include "nn/adam.hpp"
#include "nn/lbfgs.hpp"

namespace flowkit::nn {

/// {"step": t, "m": [...], "v": [...]}
io::Json to_json(const AdamState& state);
/// {"iterations": k, "f": f, "g": [...], "s": [[...], ...], "y": [[...], ...], "stop": "..."};
/// x is the model's last parameters, kept once beside it.
io::Json to_json(const LbfgsState& state);
/// {"s": [4 integers], "spare": null or the kept normal draw}
io::Json to_json(const Rng::State& state);

/// The readers: `object` is the JSON written above, n the parameter count; DataError naming the
/// key and the model's file if anything is missing, of the wrong type or size.
AdamState read_adam_state(const io::Model& model, const io::Json& object, Index n);
LbfgsState read_lbfgs_state(const io::Model& model, const io::Json& object, const Vec& x);
Rng::State read_rng_state(const io::Model& model, const io::Json& object);

} // namespace flowkit::nn
