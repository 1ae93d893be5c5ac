// A trained PINN as a one-step method: a flow-map model maps x to N(h; x) for h <= its dt; an
// IVP model gives N(t + h) whatever x is (so it is only meaningful for its own initial
// condition, on [0, T]).
#pragma once

#include "models/flow_map_stepper.hpp"
#include "models/pinn.hpp"

#include <memory>

namespace flowkit::models {

class PinnStepper : public FlowMapStepper
{
public:
    /// k: the values of the network's parameter inputs (param_domain order), for every row.
    /// std::invalid_argument if theta or k do not fit the network.
    PinnStepper(std::shared_ptr<const Pinn> pinn, Vec theta, Vec k = Vec());
};

} // namespace flowkit::models
