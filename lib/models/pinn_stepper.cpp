#include "models/pinn_stepper.hpp"

#include <stdexcept>

namespace flowkit::models {

namespace {

FlowMapStepper::Map pinn_map(std::shared_ptr<const Pinn> pinn, Vec theta, Vec k)
{
    if (theta.size() != pinn->num_params())
        throw std::invalid_argument("models::PinnStepper: " + std::to_string(theta.size()) +
                                    " parameters for a network of " +
                                    std::to_string(pinn->num_params()));
    if (k.size() != pinn->arch().num_inputs_params())
        throw std::invalid_argument("models::PinnStepper: " + std::to_string(k.size()) +
                                    " parameter values for a network of " +
                                    std::to_string(pinn->arch().num_inputs_params()));
    return [pinn, theta = std::move(theta), k = std::move(k)](const Vec& t, const Vec& s,
                                                              const Mat& x, Mat& out) {
        const Mat K = k.transpose().replicate(t.size(), 1);
        if (pinn->arch().mode == PinnMode::ivp)
            pinn->evaluate(theta, t + s, Mat(), out, K); // N(t + s), whatever x is
        else
            pinn->evaluate(theta, s, x, out, K);
    };
}

} // namespace

PinnStepper::PinnStepper(std::shared_ptr<const Pinn> pinn, Vec theta, Vec k)
    : FlowMapStepper("pinn", pinn_map(pinn, std::move(theta), std::move(k)), pinn->arch().span)
{
}

} // namespace flowkit::models
