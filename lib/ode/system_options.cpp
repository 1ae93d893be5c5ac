#include "ode/system_options.hpp"

#include "core/error.hpp"
#include "io/cli.hpp"
#include "ode/builtin_systems.hpp"

namespace flowkit::ode {

void add_system_options(cxxopts::Options& opts)
{
    // clang-format off
    opts.add_options("System")
        ("system", "Built-in system: harmonic, damped, pendulum, henon-heiles, kepler, "
                   "lotka-volterra, van-der-pol, lorenz, double-pendulum.",
         cxxopts::value<std::string>(), "NAME")
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
    if (!args.count("system"))
        throw UsageError("no system: give --system NAME (see --list-systems)");
    return make_builtin_system(args["system"].as<std::string>(), params);
}

} // namespace flowkit::ode
