// node-fit: Neural ODEs fitted to trajectories (CLI.md "node-fit"). Options only.
#include "core/error.hpp"
#include "io/cli.hpp"
#include "models/node_train.hpp"
#include "nn/training_options.hpp"

#include <string>

using namespace flowkit;

/// --second-order without --velocity-vars: <state>_dot for every state column (given, or every
/// column not reserved and not ending in _dot) when the data has them all; else none.
std::vector<std::string> default_velocities(const io::TableReader& reader,
                                            std::vector<std::string> state)
{
    auto is_velocity = [](const std::string& c) {
        return c.size() > 4 && c.compare(c.size() - 4, 4, "_dot") == 0;
    };
    if (state.empty())
        for (const std::string& c : reader.columns())
            if (!is_velocity(c) && !io::is_reserved_column(c))
                state.push_back(c);
    std::vector<std::string> velocities;
    for (const std::string& s : state) {
        if (!reader.find(s + "_dot"))
            return {};
        velocities.push_back(s + "_dot");
    }
    return velocities;
}

int main(int argc, char** argv)
{
    return io::run_tool("node-fit", argc, argv, [&] {
        cxxopts::Options opts(
            "node-fit",
            "Fit a Neural ODE x' = F(x) (or F(t, x)), F an MLP, to trajectories.\n\n"
            "Reads trajectory CSV (traj,t,<state>; times may be irregular and differ between "
            "trajectories) from -i or standard input. Each trajectory is solved from its first "
            "row through all its times; the loss is the mean squared error at every observed "
            "point. Gradients come from backpropagation through the solver's steps (--grad "
            "backprop) or from the continuous adjoint (--grad adjoint), which solves the adjoint "
            "equation backward and needs no memory of the forward solve. Writes the model JSON "
            "(kind node) to -o or standard output; integrate --field MODEL steps the learned "
            "field with any method.\n\n"
            "Example:\n  integrate --system harmonic --random-ics 200 --domain q=-1:1,p=-1:1 "
            "--t-end 6.283 --output-dt 0.1282 | node-fit -o node.json\n");
        opts.custom_help("[OPTION...] -o MODEL.json < trajectories.csv");
        io::add_common_options(opts);
        nn::add_training_options(opts, {1000, 1e-2, "adam", "constant", 0.0, "32", "tanh"});
        // clang-format off
        opts.add_options("Neural ODE")
            ("vars", "State columns (default: every column but traj, t, H, H_err, H_N, logp and "
                     "the velocity columns).", cxxopts::value<std::string>(), "a,b,...")
            ("time-dependent", "F(t, x) instead of F(x); t is absolute time.")
            ("augment", "K extra dimensions: y(0) = A x0 + a, prediction B y + b, with A, a, B, "
                        "b trained (starting from the identity and zero).",
             cxxopts::value<std::string>()->default_value("0"), "K")
            ("second-order", "x'' = F(x, x'): initial velocities from --velocity-vars columns, "
                             "else from each trajectory's first two rows.")
            ("velocity-vars", "--second-order: the velocity columns (default names: "
                              "<state>_dot, read when present).",
             cxxopts::value<std::string>(), "a,b,...")
            ("solver", "Forward solver: euler, midpoint, rk4 (fixed steps) or dopri5 (adaptive).",
             cxxopts::value<std::string>()->default_value("dopri5"), "NAME")
            ("steps-per-interval", "Fixed-step solvers: equal steps between two observations.",
             cxxopts::value<std::string>()->default_value("1"), "K")
            ("rtol", "dopri5 relative tolerance.",
             cxxopts::value<std::string>()->default_value("1e-7"), "R")
            ("atol", "dopri5 absolute tolerance.",
             cxxopts::value<std::string>()->default_value("1e-9"), "A")
            ("max-steps", "dopri5: attempted steps per trajectory and solve.",
             cxxopts::value<std::string>()->default_value("100000"), "N")
            ("grad", "backprop (through the solver's steps) or adjoint (the continuous adjoint).",
             cxxopts::value<std::string>()->default_value("backprop"), "MODE")
            ("adjoint-rtol", "--grad adjoint: relative tolerance of the backward solve "
                             "(default: --rtol).", cxxopts::value<std::string>(), "R")
            ("adjoint-atol", "--grad adjoint: absolute tolerance of the backward solve "
                             "(default: --atol).", cxxopts::value<std::string>(), "A")
            ("loss", "mse (mean squared error) or relative (squared error over the data's sum "
                     "of squares).", cxxopts::value<std::string>()->default_value("mse"), "KIND")
            ("batch", "Trajectories per optimiser step (0: all; an epoch is a pass over all).",
             cxxopts::value<std::string>()->default_value("0"), "B")
            ("precision", "Arithmetic of the network and its gradients: double, or single "
                          "(float: about 1.7x as fast, relative error about 1e-7 per "
                          "evaluation; the states, the solver, the loss and Adam stay double).",
             cxxopts::value<std::string>()->default_value("double"), "P");
        // clang-format on
        const auto cl = nn::parse_training_command_line(opts, "node-fit", argc, argv, {"node"});
        const auto& args = cl.args;

        models::NodeTrainJob job;
        models::NodeArchitecture& a = job.arch;
        a.hidden = nn::hidden_widths(args);
        a.activation = nn::activation_option(args);
        a.time_dependent = args.count("time-dependent") > 0;
        a.augment = io::integer_option(args, "augment");
        a.second_order = args.count("second-order") > 0;

        std::vector<std::string> names, velocities;
        if (args.count("vars"))
            names = io::parse_names(args["vars"].as<std::string>(), "vars");
        if (args.count("velocity-vars")) {
            if (!a.second_order)
                throw UsageError("--velocity-vars needs --second-order");
            velocities = io::parse_names(args["velocity-vars"].as<std::string>(), "velocity-vars");
        }
        io::Input in(cl.common.input);
        io::TableReader reader(in.stream(), in.name());
        reader.require_named(names, "--vars");
        reader.require_named(velocities, "--velocity-vars");
        if (a.second_order && velocities.empty())
            velocities = default_velocities(reader, names);
        job.data = models::read_trajectories(reader, names, velocities);
        a.state_names = job.data.names;
        a.velocity_names = velocities;
        if (a.second_order && a.velocity_names.empty())
            for (const std::string& s : a.state_names)
                a.velocity_names.push_back(s + "_dot");
        a.check();

        models::NodeLossParams& p = job.loss;
        p.solver.method = args["solver"].as<std::string>();
        p.solver.steps_per_interval = io::integer_option(args, "steps-per-interval");
        p.solver.rtol = io::number_option(args, "rtol");
        p.solver.atol = io::number_option(args, "atol");
        p.solver.max_steps = io::integer_option(args, "max-steps");
        p.adjoint = p.solver;
        if (args.count("adjoint-rtol"))
            p.adjoint.rtol = io::number_option(args, "adjoint-rtol");
        if (args.count("adjoint-atol"))
            p.adjoint.atol = io::number_option(args, "adjoint-atol");
        p.gradient = ode::parse_gradient_method(args["grad"].as<std::string>());
        const std::string loss = args["loss"].as<std::string>();
        if (loss != "mse" && loss != "relative")
            throw UsageError("--loss must be mse or relative (got '" + loss + "')");
        p.relative = loss == "relative";
        p.batch = io::integer_option(args, "batch");
        p.precision = nn::parse_precision(args["precision"].as<std::string>());
        p.seed = cl.common.seed;
        p.threads = cl.common.threads;
        job.training = nn::training_params(cl, "node-fit");
        job.resumed = cl.resumed;
        models::run_node_training(job);
    });
}
