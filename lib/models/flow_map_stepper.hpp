// A learned flow map as a one-step method (DESIGN.md: "a learned flow map is a Stepper that needs
// no System"): a step of h from (t, x) is map(t, h, x), for h up to the map's longest step; dense
// output evaluates the map at intermediate h from the step's start.
#pragma once

#include "ode/stepper.hpp"

#include <functional>
#include <string>

namespace flowkit::models {

class FlowMapStepper : public ode::Stepper
{
public:
    /// out (n x dim, resized) = the state after s(i) from state x.row(i) at time t(i).
    using Map = std::function<void(const Vec& t, const Vec& s, const Mat& x, Mat& out)>;

    FlowMapStepper(std::string name, Map map, double max_step);

    std::string name() const override { return m_name; }
    /// Not a classical order: the error is the network's, not a power of h.
    int order() const override { return 0; }
    std::unique_ptr<ode::Stepper> clone() const override { return ode::fresh_copy(*this); }
    /// std::invalid_argument for a step longer than max_step (beyond rounding).
    void step(const Vec& t, const Vec& h, Mat& x) override;
    void dense(const std::vector<Index>& rows, const Vec& theta, Mat& out) const override;

private:
    std::string m_name;
    Map m_map;
    double m_max_step;
    Mat m_start;  // states at the start of the last step (keep_dense)
    Vec m_t, m_h; // its times and steps
    Mat m_next;
};

} // namespace flowkit::models
