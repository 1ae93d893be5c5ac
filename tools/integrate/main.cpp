// integrate: classical one-step methods on a built-in system (CLI.md "integrate"). Options only.
#include "core/error.hpp"
#include "io/cli.hpp"
#include "io/table.hpp"
#include "models/learned_flow.hpp"
#include "models/node_train.hpp"
#include "ode/integrate_job.hpp"
#include "ode/system_options.hpp"

using namespace flowkit;

int main(int argc, char** argv)
{
    return io::run_tool("integrate", argc, argv, [&] {
        cxxopts::Options opts("integrate",
                              "Integrate ODEs with classical one-step methods.\n\n"
                              "Reads initial conditions (the state columns, optionally traj) "
                              "from the input, or one from --ic, or draws them (--random-ics), "
                              "and writes traj,t,<state> and H when the system has a "
                              "Hamiltonian.\n\nExample:\n  integrate "
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
            ("every", "Write every K-th step; the final time is always written.",
             cxxopts::value<std::string>()->default_value("1"), "K")
            ("output-dt", "Write at t0, t0 + H, t0 + 2H, ... and at T (dense output between steps).",
             cxxopts::value<std::string>(), "H")
            ("times", "Write at the times in column t of FILE (with a column traj: per trajectory).",
             cxxopts::value<std::string>(), "FILE")
            ("rtol", "dopri5 relative tolerance.", cxxopts::value<std::string>()->default_value("1e-6"), "R")
            ("atol", "dopri5 absolute tolerance.", cxxopts::value<std::string>()->default_value("1e-9"), "A")
            ("max-steps", "dopri5 step attempts per trajectory before giving up.",
             cxxopts::value<std::string>()->default_value("10000000"), "N")
            ("flow", "Step with the learned flow map in MODEL (from pinn-train) instead of a "
                     "method; the system is the model's, H its true H. --dt defaults to the "
                     "model's dt and may not exceed it. An IVP model gives N(t) on [0, its T] "
                     "for its own initial condition only. --param sets the parameters of a "
                     "parametric model, inside its trained ranges.",
             cxxopts::value<std::string>(), "MODEL.json")
            ("field", "The vector field is the Neural ODE in MODEL (from node-fit) or the velocity "
                      "field F(t, x) of a continuous normalising flow (from cnf-sample train: "
                      "noise at t = 0 flows to data at t = 1), stepped with --method (explicit "
                      "symplectic methods refuse it: it is not separable). A second-order "
                      "model's state is the positions, then the velocities.",
             cxxopts::value<std::string>(), "MODEL.json");
        opts.add_options("Initial conditions")
            ("ic", "One initial condition, instead of reading the input.",
             cxxopts::value<std::string>(), "V1,V2,...")
            ("random-ics", "Draw N initial conditions uniformly in the box of --domain instead of "
                           "reading the input (traj 0, 1, ...), seeded by --seed: row by row, "
                           "one number per state variable in state order.",
             cxxopts::value<std::string>(), "N")
            ("domain", "The box of --random-ics: a range LO <= HI (equal: a fixed value) for every "
                       "state variable except "
                       "the one of --solve-for.",
             cxxopts::value<std::string>(), "\"A=LO:HI,...\"")
            ("energy", "Put each drawn initial condition on the energy shell H = E (the system "
                       "needs a Hamiltonian) by solving for the variable of --solve-for; a draw "
                       "for which H = E has no solution is replaced by the next one.",
             cxxopts::value<std::string>(), "E")
            ("solve-for", "The state variable that --energy sets: the positive root VAR > 0 of "
                          "H = E, found by bisection to round-off. It is not drawn.",
             cxxopts::value<std::string>(), "VAR")
            ("ics-only", "Write the initial conditions as traj,<state> (and H when the system "
                         "has one) and stop; --t-end is then not needed.");
        // clang-format on
        auto args = io::parse(opts, argc, argv);
        std::unique_ptr<ode::System> system;
        models::LearnedFlow flow;
        if (args.count("field")) {
            for (const char* other : {"system", "rhs", "hamiltonian", "flow"})
                if (args.count(other))
                    throw UsageError(std::string("--field brings its own vector field: drop --") +
                                     other);
            system = models::read_learned_field(args["field"].as<std::string>()).field;
        } else if (args.count("flow")) {
            for (const char* other : {"system", "rhs", "hamiltonian", "method"})
                if (args.count(other))
                    throw UsageError(std::string("--flow brings its own system and method: drop --") +
                                     other);
            std::vector<std::pair<std::string, double>> params;
            if (args.count("param"))
                for (const auto& text : args["param"].as<std::vector<std::string>>())
                    for (auto& p : io::parse_assignments(text, "param"))
                        params.push_back(std::move(p));
            flow = models::read_learned_flow(args["flow"].as<std::string>(), params);
            system = std::move(flow.system);
        } else {
            system = ode::system_from_options(args);
        }
        auto common = io::common_options(args, "integrate", argc, argv);

        ode::IntegrateJob job;
        job.method = args["method"].as<std::string>();
        job.dt = io::number_option(args, "dt");
        job.t0 = io::number_option(args, "t0");
        job.ics_only = args.count("ics-only") > 0;
        if (!args.count("t-end") && !job.ics_only)
            throw UsageError("--t-end is required");
        if (args.count("t-end"))
            job.t_end = io::number_option(args, "t-end");
        if (args.count("random-ics")) {
            for (const char* other : {"ic", "input"})
                if (args.count(other))
                    throw UsageError(std::string("--random-ics and --") + other +
                                     " exclude each other");
            if (!args.count("domain"))
                throw UsageError("--random-ics needs --domain \"A=LO:HI,...\"");
            ode::EnsembleSpec spec;
            spec.count = io::integer_option(args, "random-ics");
            spec.domain = io::parse_ranges(args["domain"].as<std::string>(), "domain");
            if (args.count("energy"))
                spec.energy = io::number_option(args, "energy");
            if (args.count("solve-for"))
                spec.solve_for = args["solve-for"].as<std::string>();
            job.random_ics = spec;
        }
        for (const char* needs_random : {"domain", "energy", "solve-for"})
            if (args.count(needs_random) && !job.random_ics)
                throw UsageError(std::string("--") + needs_random + " needs --random-ics N");
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
        if (flow.stepper)
            models::use_learned_flow(std::move(flow), job, args.count("dt") > 0,
                                     args.count("input") > 0);
        ode::run_integrate(job, *system, common);
    });
}
