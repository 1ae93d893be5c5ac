#include "models/learned_flow.hpp"

#include "core/error.hpp"
#include "io/model_json.hpp"
#include "models/pinn_stepper.hpp"
#include "ode/system_options.hpp"

namespace flowkit::models {

LearnedFlow read_learned_flow(const std::string& path)
{
    const io::Model model = io::read_model(path, {"pinn"});
    LearnedFlow flow;
    flow.system =
        ode::system_from_description(io::require_key(model, model.json, "system"), model.source);
    auto pinn = std::make_shared<const Pinn>(Pinn::architecture_from_json(model));
    if (flow.system->names() != pinn->arch().state_names)
        throw DataError("model's state_names are not those of its system", model.source);
    Vec theta = io::read_numbers(model, model.json, "params", pinn->num_params());
    flow.max_dt = pinn->arch().span;
    flow.ivp = pinn->arch().mode == PinnMode::ivp;
    flow.ic = pinn->arch().ic;
    flow.stepper = std::make_unique<PinnStepper>(std::move(pinn), std::move(theta));
    return flow;
}

} // namespace flowkit::models
