// A trained PINN as a one-step method (DESIGN.md: "a learned flow map is a Stepper"): a
// flow-map model maps x to N(h; x) for h <= its dt; an IVP model gives N(t + h) whatever x is
// (so it is only meaningful for its own initial condition, on [0, T]). Dense output evaluates
// N inside the step.
#pragma once

#include "models/pinn.hpp"
#include "ode/stepper.hpp"

#include <memory>

namespace flowkit::models {

class PinnStepper : public ode::Stepper
{
public:
    /// k: the values of the network's parameter inputs (param_domain order), for every row.
    PinnStepper(std::shared_ptr<const Pinn> pinn, Vec theta, Vec k = Vec());

    std::string name() const override { return "pinn"; }
    /// Not a classical order: the error is the network's, not a power of h.
    int order() const override { return 0; }
    std::unique_ptr<ode::Stepper> clone() const override { return ode::fresh_copy(*this); }
    /// std::invalid_argument if a flow map is asked for a step longer than its dt.
    void step(const Vec& t, const Vec& h, Mat& x) override;
    void dense(const std::vector<Index>& rows, const Vec& theta, Mat& out) const override;

private:
    std::shared_ptr<const Pinn> m_pinn;
    Vec m_theta;
    Vec m_k;
    Mat m_start;   // states at the start of the last step (flow map, keep_dense)
    Vec m_t, m_h;  // its times and steps
    Mat m_next;
};

} // namespace flowkit::models
