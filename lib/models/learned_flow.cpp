#include "models/learned_flow.hpp"

#include "core/error.hpp"
#include "io/model_json.hpp"
#include "io/table.hpp"
#include "models/pinn_stepper.hpp"
#include "models/sympflow.hpp"
#include "ode/system_options.hpp"

#include <algorithm>

namespace flowkit::models {

namespace {

LearnedFlow read_sympflow(const io::Model& model,
                          const std::vector<std::pair<std::string, double>>& params)
{
    if (!params.empty())
        throw UsageError("--param: a SympFlow model was trained with its parameters fixed");
    auto net = std::make_shared<const Sympflow>(Sympflow::architecture_from_json(model));
    LearnedFlow flow;
    flow.system =
        ode::system_from_description(io::require_key(model, model.json, "system"), model.source);
    if (flow.system->names() != net->arch().state_names)
        throw DataError("model's state_names are not those of its system", model.source);
    const Vec theta = io::read_numbers(model, model.json, "params", net->num_params());
    flow.max_dt = net->arch().dt;
    flow.stepper = std::make_unique<FlowMapStepper>(
        "sympflow",
        [net, theta](const Vec&, const Vec& s, const Mat& x, Mat& out) {
            net->evaluate(theta, s, x, out);
        },
        flow.max_dt);
    return flow;
}

} // namespace

LearnedFlow read_learned_flow(const std::string& path,
                              const std::vector<std::pair<std::string, double>>& params)
{
    const io::Model model = io::read_model(path, {"pinn", "sympflow"});
    if (model.json["kind"] == "sympflow")
        return read_sympflow(model, params);
    auto pinn = std::make_shared<const Pinn>(Pinn::architecture_from_json(model));
    const PinnArchitecture& a = pinn->arch();
    // The system at the chosen parameter values (for H), and those values as network inputs.
    io::Json description = io::require_key(model, model.json, "system");
    Vec k(a.num_inputs_params());
    for (Index j = 0; j < k.size(); ++j) {
        const io::Range& r = a.param_domain[std::size_t(j)];
        const io::Json& recorded = description["params"][r.name];
        k(j) = recorded.is_number() ? recorded.get<double>() : 0.5 * (r.lo + r.hi);
    }
    for (const auto& [name, value] : params) {
        const auto it = std::find_if(a.param_domain.begin(), a.param_domain.end(),
                                     [&](const io::Range& r) { return r.name == name; });
        if (it == a.param_domain.end())
            throw UsageError("--param " + name + ": the model was trained with " +
                             (a.param_domain.empty() ? "its parameters fixed"
                                                     : "only its --param-domain parameters free"));
        k(it - a.param_domain.begin()) = value;
    }
    for (Index j = 0; j < k.size(); ++j) {
        const io::Range& r = a.param_domain[std::size_t(j)];
        if (k(j) < r.lo || k(j) > r.hi)
            throw UsageError("--param " + r.name + "=" + io::format_number(k(j)) +
                             " is outside the trained range [" + io::format_number(r.lo) + ", " +
                             io::format_number(r.hi) + "]");
        description["params"][r.name] = k(j);
    }
    LearnedFlow flow;
    flow.system = ode::system_from_description(description, model.source);
    if (flow.system->names() != a.state_names)
        throw DataError("model's state_names are not those of its system", model.source);
    Vec theta = io::read_numbers(model, model.json, "params", pinn->num_params());
    flow.max_dt = a.span;
    flow.ivp = a.mode == PinnMode::ivp;
    flow.ic = a.ic;
    flow.stepper = std::make_unique<PinnStepper>(std::move(pinn), std::move(theta), std::move(k));
    return flow;
}

void use_learned_flow(LearnedFlow flow, ode::IntegrateJob& job, bool dt_given, bool input_given)
{
    if (!dt_given)
        job.dt = flow.max_dt;
    if (job.dt > flow.max_dt * (1 + 1e-12))
        throw UsageError("--dt " + io::format_number(job.dt) + " exceeds the model's dt " +
                         io::format_number(flow.max_dt));
    if (flow.ivp) {
        if (job.random_ics || input_given)
            throw UsageError("an IVP model knows only its own initial condition: drop "
                             "--random-ics and --input");
        if (job.ic.empty())
            job.ic.assign(flow.ic.data(), flow.ic.data() + flow.ic.size());
        if (Eigen::Map<const Vec>(job.ic.data(), Index(job.ic.size())) != flow.ic)
            throw UsageError("an IVP model knows only its own initial condition");
        if (job.t0 != 0 || job.t_end < 0 || job.t_end > flow.max_dt * (1 + 1e-12))
            throw UsageError("an IVP model covers [0, " + io::format_number(flow.max_dt) +
                             "] only");
    }
    job.learned = std::move(flow.stepper);
}

} // namespace flowkit::models
