#include "ode/system_options.hpp"

#include "core/error.hpp"
#include "io/cli.hpp"
#include "ode/builtin_systems.hpp"
#include "ode/expression_systems.hpp"
#include "ode/state_names_only.hpp"

namespace flowkit::ode {

void add_system_options(cxxopts::Options& opts)
{
    // clang-format off
    opts.add_options("System")
        ("system", "Built-in system: harmonic, damped, pendulum, henon-heiles, kepler, "
                   "lotka-volterra, van-der-pol, lorenz, double-pendulum.",
         cxxopts::value<std::string>(), "NAME")
        ("rhs", "A vector field of your own: one expression per variable, separated by ';'. "
                "The expressions may use the variables, t and the parameters (--param).",
         cxxopts::value<std::string>(), "\"E1; E2; ...\"")
        ("hamiltonian", "A canonical Hamiltonian of your own over --vars q1,...,qn,p1,...,pn "
                        "(the first half are positions); its vector field, derivatives and "
                        "separability are derived symbolically.",
         cxxopts::value<std::string>(), "\"E\"")
        ("vars", "The state variables of --rhs or --hamiltonian.",
         cxxopts::value<std::string>(), "A,B,...")
        ("param", "Parameters of the system, e.g. --param mu=2 or --param k=1,gamma=-0.1.",
         cxxopts::value<std::vector<std::string>>(), "NAME=V[,NAME=V...]")
        ("list-systems", "Print each built-in system with its variables, parameters (and "
                         "defaults) and equations, and exit.");
    // clang-format on
}

std::unique_ptr<System> system_from_options(const cxxopts::ParseResult& args)
{
    if (args.count("list-systems"))
        throw io::HelpShown{list_builtin_systems()};
    ParamList params;
    if (args.count("param"))
        for (const auto& text : args["param"].as<std::vector<std::string>>())
            for (auto& p : io::parse_assignments(text, "param"))
                params.push_back(std::move(p));
    const int given = static_cast<int>(args.count("system") + args.count("rhs") + args.count("hamiltonian"));
    if (given == 0)
        throw UsageError("no system: give --system NAME (see --list-systems), --rhs or --hamiltonian");
    if (given > 1)
        throw UsageError("--system, --rhs and --hamiltonian exclude each other");
    if (args.count("system")) {
        if (args.count("vars"))
            throw UsageError("--vars goes with --rhs or --hamiltonian; a built-in system names its own");
        return make_builtin_system(args["system"].as<std::string>(), params);
    }
    if (!args.count("vars"))
        throw UsageError(std::string("--") + (args.count("rhs") ? "rhs" : "hamiltonian") +
                         " needs --vars");
    const auto vars = io::parse_names(args["vars"].as<std::string>(), "vars");
    if (args.count("rhs"))
        return std::make_unique<RhsSystem>(args["rhs"].as<std::string>(), vars, params);
    return std::make_unique<HamiltonianExpressionSystem>(args["hamiltonian"].as<std::string>(), vars,
                                                         params);
}

std::unique_ptr<System> system_from_description(const nlohmann::ordered_json& d,
                                                const std::string& source)
{
    try {
        ParamList params;
        for (const auto& [name, value] : d.at("params").items())
            params.emplace_back(name, value.get<double>());
        if (d.contains("name"))
            return make_builtin_system(d.at("name").get<std::string>(), params);
        const auto vars = d.at("vars").get<std::vector<std::string>>();
        if (d.contains("rhs"))
            return std::make_unique<RhsSystem>(d.at("rhs").get<std::string>(), vars, params);
        if (!d.contains("hamiltonian"))
            return std::make_unique<StateNamesOnly>(vars);
        return std::make_unique<HamiltonianExpressionSystem>(d.at("hamiltonian").get<std::string>(),
                                                             vars, params);
    } catch (const nlohmann::ordered_json::exception& e) {
        throw DataError(std::string("model's \"system\" is malformed: ") + e.what(), source);
    } catch (const UsageError& e) {
        throw DataError(std::string("model's \"system\" is not valid: ") + e.what(), source);
    }
}

} // namespace flowkit::ode
