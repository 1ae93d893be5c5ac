// A system known only by its state names: what a model learnt from data whose equations were
// never given (sympflow-train --data) was trained on. It has no vector field and no Hamiltonian.
#pragma once

#include "ode/system.hpp"

namespace flowkit::ode {

class StateNamesOnly : public System
{
public:
    explicit StateNamesOnly(std::vector<std::string> names);
    /// {"vars": [...], "params": {}}: no "name", "rhs" or "hamiltonian".
    nlohmann::ordered_json describe() const override;
    /// These throw UsageError: there are no equations.
    void rhs(const Vec& t, const Mat& x, Mat& f) const override;
    void jvp(const Vec& t, const Mat& x, const Mat& v, Mat& out) const override;
    void vjp(const Vec& t, const Mat& x, const Mat& a, Mat& out) const override;
};

} // namespace flowkit::ode
