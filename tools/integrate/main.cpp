// integrate: classical one-step methods on a built-in system (CLI.md "integrate"). Options only.
#include "core/error.hpp"
#include "io/cli.hpp"
#include "ode/integrate_job.hpp"
#include "ode/system_options.hpp"

using namespace flowkit;

int main(int argc, char** argv)
{
    return io::run_tool("integrate", argc, argv, [&] {
        cxxopts::Options opts("integrate",
                              "Integrate ODEs with classical one-step methods.\n\n"
                              "Reads initial conditions (the state columns, optionally traj) "
                              "from the input, or one from --ic, and writes traj,t,<state> and H "
                              "when the system has a Hamiltonian.\n\nExample:\n  integrate "
                              "--system henon-heiles --method verlet --dt 0.01 --t-end 100 "
                              "--ic 0,0.1,0.5,0 --every 100\n");
        opts.custom_help("[OPTION...] < initial-conditions.csv");
        io::add_common_options(opts);
        ode::add_system_options(opts);
        // clang-format off
        opts.add_options("Integration")
            ("method", "euler, implicit-euler, midpoint, implicit-midpoint, rk4, dopri5, "
                       "symplectic-euler, verlet, yoshida4, gauss2, gauss4, gauss6. The explicit "
                       "symplectic methods need a separable Hamiltonian; the implicit ones solve "
                       "by Newton to round-off.",
             cxxopts::value<std::string>()->default_value("rk4"), "NAME")
            ("dt", "Step size (the initial step for dopri5). When (T - t0)/H is within 1e-9 of an "
                   "integer n, exactly n steps; else the last step is shortened to land on T.",
             cxxopts::value<std::string>()->default_value("0.01"), "H")
            ("t0", "Initial time.", cxxopts::value<std::string>()->default_value("0"), "T0")
            ("t-end", "Final time (required; may be less than t0).", cxxopts::value<std::string>(), "T")
            ("ic", "One initial condition, instead of reading the input.",
             cxxopts::value<std::string>(), "V1,V2,...")
            ("every", "Write every K-th step; the final time is always written.",
             cxxopts::value<std::string>()->default_value("1"), "K")
            ("output-dt", "Write at t0, t0 + H, t0 + 2H, ... and at T (dense output between steps).",
             cxxopts::value<std::string>(), "H")
            ("times", "Write at the times in column t of FILE (with a column traj: per trajectory).",
             cxxopts::value<std::string>(), "FILE")
            ("rtol", "dopri5 relative tolerance.", cxxopts::value<std::string>()->default_value("1e-6"), "R")
            ("atol", "dopri5 absolute tolerance.", cxxopts::value<std::string>()->default_value("1e-9"), "A")
            ("max-steps", "dopri5 step attempts per trajectory before giving up.",
             cxxopts::value<std::string>()->default_value("10000000"), "N");
        // clang-format on
        auto args = io::parse(opts, argc, argv);
        auto system = ode::system_from_options(args);
        auto common = io::common_options(args, "integrate", argc, argv);

        ode::IntegrateJob job;
        job.method = args["method"].as<std::string>();
        job.dt = io::number_option(args, "dt");
        job.t0 = io::number_option(args, "t0");
        if (!args.count("t-end"))
            throw UsageError("--t-end is required");
        job.t_end = io::number_option(args, "t-end");
        if (args.count("ic")) {
            if (args.count("input"))
                throw UsageError("--ic and --input exclude each other");
            job.ic = io::parse_numbers(args["ic"].as<std::string>(), "ic");
        }
        job.every = io::integer_option(args, "every");
        if (args.count("output-dt"))
            job.output_dt = io::number_option(args, "output-dt");
        if (args.count("times"))
            job.times_file = args["times"].as<std::string>();
        job.rtol = io::number_option(args, "rtol");
        job.atol = io::number_option(args, "atol");
        job.max_steps = io::integer_option(args, "max-steps");
        ode::run_integrate(job, *system, common);
    });
}
