#include "ode/state_names_only.hpp"

#include "core/error.hpp"

namespace flowkit::ode {

namespace {

[[noreturn]] void no_equations()
{
    throw UsageError("the model was learnt from data: its system has no equations");
}

} // namespace

StateNamesOnly::StateNamesOnly(std::vector<std::string> names) { m_names = std::move(names); }

nlohmann::ordered_json StateNamesOnly::describe() const
{
    return {{"vars", m_names}, {"params", nlohmann::ordered_json::object()}};
}

void StateNamesOnly::rhs(const Vec&, const Mat&, Mat&) const { no_equations(); }
void StateNamesOnly::jvp(const Vec&, const Mat&, const Mat&, Mat&) const { no_equations(); }
void StateNamesOnly::vjp(const Vec&, const Mat&, const Mat&, Mat&) const { no_equations(); }

} // namespace flowkit::ode
