// cnf-sample: continuous normalising flows (CLI.md "cnf-sample"): toy data, training by flow
// matching or maximum likelihood, sampling, log-densities, and the energy distance between two
// samples. Options only.
#include "core/error.hpp"
#include "io/cli.hpp"
#include "models/cnf_commands.hpp"
#include "models/toy_datasets.hpp"
#include "nn/training_options.hpp"

#include <functional>
#include <string>

using namespace flowkit;

namespace {

const char* const overview =
    "Continuous normalising flows: x = phi_1(z), z ~ N(0, I), phi the flow of x' = F(t, x) on "
    "[0, 1], F an MLP on (x, t).\n\n"
    "  cnf-sample toy NAME -n N         2-D toy data (x1,x2): moons, 8gaussians, circles, "
    "checkerboard, 2spirals, pinwheel, swissroll, rings\n"
    "  cnf-sample train --data FILE     train on points of any dimension (--objective fm: flow "
    "matching, no ODE solve; mle: maximum likelihood through the log-density ODE); writes the "
    "model JSON (kind cnf)\n"
    "  cnf-sample sample --model M -n N push N(0, I) samples through the flow (--path: the "
    "whole flow, with traj and t)\n"
    "  cnf-sample logp --model M        the log-density of the points read, as a column logp\n"
    "  cnf-sample distance --data FILE  the energy distance between the points read and FILE's\n\n"
    "Example:\n  cnf-sample toy 8gaussians -n 20000 > data.csv\n"
    "  cnf-sample train --data data.csv -o cnf.json\n"
    "  cnf-sample sample --model cnf.json -n 2000 | cnf-sample distance --data data.csv\n";

/// --model, read by sample and logp.
void add_model_option(cxxopts::Options& opts, const std::string& group)
{
    opts.add_options(group)("model", "The cnf-sample model ('-': standard input).",
                            cxxopts::value<std::string>(), "MODEL.json");
}

/// The solver options of train, sample and logp.
void add_solver_options(cxxopts::Options& opts, const std::string& group, const char* method,
                        const char* steps, const char* tol, const std::string& purpose)
{
    // clang-format off
    opts.add_options(group)
        ("method", "ODE solver " + purpose + ": euler, midpoint, rk4 (fixed steps) or dopri5 "
                   "(adaptive).", cxxopts::value<std::string>()->default_value(method), "NAME")
        ("steps", "Fixed-step methods: equal steps over [0, 1].",
         cxxopts::value<std::string>()->default_value(steps), "K")
        ("rtol", "dopri5 relative tolerance.", cxxopts::value<std::string>()->default_value(tol),
         "R")
        ("atol", "dopri5 absolute tolerance.", cxxopts::value<std::string>()->default_value(tol),
         "A")
        ("max-steps", "dopri5: attempted steps per point and solve.",
         cxxopts::value<std::string>()->default_value("100000"), "N");
    // clang-format on
}

ode::SolverSettings solver_settings(const cxxopts::ParseResult& args)
{
    ode::SolverSettings s;
    s.method = args["method"].as<std::string>();
    s.steps_per_interval = io::integer_option(args, "steps");
    s.rtol = io::number_option(args, "rtol");
    s.atol = io::number_option(args, "atol");
    s.max_steps = io::integer_option(args, "max-steps");
    s.check();
    return s;
}

cxxopts::Options toy_options()
{
    cxxopts::Options opts("cnf-sample toy", "Write N points of a 2-D toy data set (columns "
                                            "x1,x2), drawn with --seed.");
    opts.custom_help("NAME -n N [OPTION...]");
    io::add_common_options(opts);
    opts.add_options("Toy data")("n,count", "Number of points.",
                                 cxxopts::value<std::string>()->default_value("1000"), "N");
    return opts;
}

cxxopts::Options train_options()
{
    cxxopts::Options opts(
        "cnf-sample train",
        "Train a continuous normalising flow on points (one per row; any dimension). --objective "
        "fm (conditional flow matching) regresses F(t, x_t) on the velocity of a path from noise "
        "to a data point, with no ODE solve. --objective mle maximises the log-likelihood, "
        "solving the log-density ODE from each point back to t = 0 with the exact divergence or "
        "Hutchinson's estimator, and differentiates by backpropagation or the adjoint. Every "
        "optimiser step (--epochs counts them) draws a fresh batch.");
    opts.custom_help("--data FILE [OPTION...] -o MODEL.json");
    io::add_common_options(opts);
    nn::add_training_options(opts, {20000, 1e-3, "adam", "cosine", 0.0, "64,64", "tanh"});
    // clang-format off
    opts.add_options("CNF training")
        ("data", "The points (default: -i or standard input).", cxxopts::value<std::string>(),
         "FILE")
        ("vars", "Data columns (default: every column but traj, t, H, H_err, H_N, logp).",
         cxxopts::value<std::string>(), "a,b,...")
        ("objective", "fm (flow matching) or mle (maximum likelihood).",
         cxxopts::value<std::string>()->default_value("fm"), "KIND")
        ("fm-path", "fm: the path from noise to data, straight (x_t = (1 - t) x0 + t x1) or "
                    "cosine (x_t = cos(pi t/2) x0 + sin(pi t/2) x1).",
         cxxopts::value<std::string>()->default_value("straight"), "PATH")
        ("batch", "Points per optimiser step, drawn with replacement.",
         cxxopts::value<std::string>()->default_value("256"), "B")
        ("precision", "Arithmetic of the network and its gradients (mle: and its divergence), "
                      "double or single (float, as PyTorch's float32; the ODE state, the "
                      "parameters and Adam stay in double).",
         cxxopts::value<std::string>()->default_value("double"), "P")
        ("trace", "mle: the divergence, exact (d tangent passes) or hutchinson (one random "
                  "probe per point, fixed for the solve).",
         cxxopts::value<std::string>()->default_value("exact"), "KIND")
        ("probe", "hutchinson: rademacher or gaussian probes.",
         cxxopts::value<std::string>()->default_value("rademacher"), "KIND")
        ("grad", "mle: backprop (through the solver's steps) or adjoint (the continuous "
                 "adjoint).", cxxopts::value<std::string>()->default_value("backprop"), "MODE")
        ("adjoint-rtol", "--grad adjoint: relative tolerance of the backward solve "
                         "(default: --rtol).", cxxopts::value<std::string>(), "R")
        ("adjoint-atol", "--grad adjoint: absolute tolerance of the backward solve "
                         "(default: --atol).", cxxopts::value<std::string>(), "A");
    // clang-format on
    add_solver_options(opts, "CNF training", "dopri5", "10", "1e-5",
                       "of mle training (logp has its own tolerances)");
    return opts;
}

cxxopts::Options sample_options()
{
    cxxopts::Options opts("cnf-sample sample",
                          "Draw samples: N(0, I) points (from --seed) pushed from t = 0 to 1 "
                          "through the flow. --path writes the whole flow (traj, t, state), "
                          "time step by time step.");
    opts.custom_help("--model MODEL.json -n N [OPTION...]");
    io::add_common_options(opts);
    // clang-format off
    add_model_option(opts, "Sampling");
    opts.add_options("Sampling")
        ("n,count", "Number of samples.", cxxopts::value<std::string>()->default_value("1000"),
         "N")
        ("path", "Write the flow at every step (dopri5: at --steps equal intervals).")
        ("precision", "Arithmetic of the network: double, or single (float: about 1.7x as "
                      "fast, samples within about 1e-6 of double's).",
         cxxopts::value<std::string>()->default_value("double"), "P");
    // clang-format on
    add_solver_options(opts, "Sampling", "rk4", "20", "1e-7", "");
    return opts;
}

cxxopts::Options logp_options()
{
    cxxopts::Options opts("cnf-sample logp",
                          "Write the points read (the model's columns; others are kept) with "
                          "their log-density under the flow, logp, from the log-density ODE "
                          "solved from each point back to t = 0.");
    opts.custom_help("--model MODEL.json [OPTION...] < points.csv");
    io::add_common_options(opts);
    // clang-format off
    add_model_option(opts, "Log-density");
    opts.add_options("Log-density")
        ("trace", "exact or hutchinson (an unbiased estimate, one probe per point from --seed).",
         cxxopts::value<std::string>()->default_value("exact"), "KIND")
        ("probe", "hutchinson: rademacher or gaussian probes.",
         cxxopts::value<std::string>()->default_value("rademacher"), "KIND")
        ("precision", "Arithmetic of the network and its divergence: double, or single (float; "
                      "the log-density moves by up to about 1e-5, and takes about half the time).",
         cxxopts::value<std::string>()->default_value("double"), "P");
    // clang-format on
    add_solver_options(opts, "Log-density", "dopri5", "100", "1e-7", "");
    return opts;
}

cxxopts::Options distance_options()
{
    cxxopts::Options opts("cnf-sample distance",
                          "Write the energy distance (V-statistic) between the points read and "
                          "those of --data: 2 E|X - Y| - E|X - X'| - E|Y - Y'| over all pairs; 0 "
                          "for equal samples.");
    opts.custom_help("--data FILE [OPTION...] < points.csv");
    io::add_common_options(opts);
    // clang-format off
    opts.add_options("Distance")
        ("data", "The other sample.", cxxopts::value<std::string>(), "FILE")
        ("vars", "Columns (default: every column of the input but traj, t, H, H_err, H_N, "
                 "logp).", cxxopts::value<std::string>(), "a,b,...");
    // clang-format on
    return opts;
}

std::string required(const cxxopts::ParseResult& args, const std::string& name)
{
    if (!args.count(name))
        throw UsageError("--" + name + " is required");
    return args[name].as<std::string>();
}

int toy_main(int argc, char** argv)
{
    return io::run_tool("cnf-sample toy", argc, argv, [&] {
        auto opts = toy_options();
        // NAME comes first, before the options.
        std::string name;
        if (argc > 1 && argv[1][0] != '-') {
            name = argv[1];
            --argc;
            ++argv;
        }
        const auto args = io::parse(opts, argc, argv);
        if (name.empty())
            throw UsageError("give the data set's name: cnf-sample toy NAME");
        models::write_toy_dataset(name, io::integer_option(args, "count"),
                                  io::common_options(args, "cnf-sample toy", argc, argv));
    });
}

int train_main(int argc, char** argv)
{
    return io::run_tool("cnf-sample train", argc, argv, [&] {
        auto opts = train_options();
        const auto cl = nn::parse_training_command_line(opts, "cnf-sample train", argc, argv,
                                                        {"cnf"});
        const auto& args = cl.args;
        models::CnfTrainJob job;
        job.arch.hidden = nn::hidden_widths(args);
        job.arch.activation = nn::activation_option(args);
        std::vector<std::string> names;
        if (args.count("vars"))
            names = io::parse_names(args["vars"].as<std::string>(), "vars");
        io::Input in(args.count("data") ? args["data"].as<std::string>() : cl.common.input);
        io::TableReader reader(in.stream(), in.name());
        reader.require_named(names, "--vars");
        job.data = models::read_points(reader, names);
        if (job.data.rows() == 0)
            throw DataError("no data points", in.name());
        job.arch.state_names = names;
        job.arch.check();

        job.objective = models::parse_cnf_objective(args["objective"].as<std::string>());
        const Index batch = io::integer_option(args, "batch");
        models::CnfLikelihoodParams& l = job.likelihood;
        l.solver = solver_settings(args);
        l.adjoint = l.solver;
        if (args.count("adjoint-rtol"))
            l.adjoint.rtol = io::number_option(args, "adjoint-rtol");
        if (args.count("adjoint-atol"))
            l.adjoint.atol = io::number_option(args, "adjoint-atol");
        l.gradient = ode::parse_gradient_method(args["grad"].as<std::string>());
        l.trace = models::parse_trace_estimator(args["trace"].as<std::string>());
        l.probe = models::parse_probe_distribution(args["probe"].as<std::string>());
        l.batch = batch;
        l.threads = cl.common.threads;
        job.matching.path = models::parse_matching_path(args["fm-path"].as<std::string>());
        job.matching.batch = batch;
        job.matching.precision = nn::parse_precision(args["precision"].as<std::string>());
        l.precision = job.matching.precision;
        job.matching.threads = cl.common.threads;
        job.training = nn::training_params(cl, "cnf-sample train");
        job.resumed = cl.resumed;
        models::run_cnf_training(job);
    });
}

int sample_main(int argc, char** argv)
{
    return io::run_tool("cnf-sample sample", argc, argv, [&] {
        auto opts = sample_options();
        const auto args = io::parse(opts, argc, argv);
        models::CnfSampleJob job;
        job.model = required(args, "model");
        job.count = io::integer_option(args, "count");
        job.solver = solver_settings(args);
        job.path = args.count("path") > 0;
        job.precision = nn::parse_precision(args["precision"].as<std::string>());
        job.common = io::common_options(args, "cnf-sample sample", argc, argv);
        models::write_samples(job);
    });
}

int logp_main(int argc, char** argv)
{
    return io::run_tool("cnf-sample logp", argc, argv, [&] {
        auto opts = logp_options();
        const auto args = io::parse(opts, argc, argv);
        models::CnfLogDensityJob job;
        job.model = required(args, "model");
        job.solver = solver_settings(args);
        job.trace = models::parse_trace_estimator(args["trace"].as<std::string>());
        job.probe = models::parse_probe_distribution(args["probe"].as<std::string>());
        job.precision = nn::parse_precision(args["precision"].as<std::string>());
        job.common = io::common_options(args, "cnf-sample logp", argc, argv);
        models::write_log_density(job);
    });
}

int distance_main(int argc, char** argv)
{
    return io::run_tool("cnf-sample distance", argc, argv, [&] {
        auto opts = distance_options();
        const auto args = io::parse(opts, argc, argv);
        std::vector<std::string> names;
        if (args.count("vars"))
            names = io::parse_names(args["vars"].as<std::string>(), "vars");
        models::write_energy_distance(required(args, "data"), names,
                                      io::common_options(args, "cnf-sample distance", argc, argv));
    });
}

} // namespace

int main(int argc, char** argv)
{
    const std::string sub = argc > 1 ? argv[1] : "";
    const std::vector<std::pair<std::string, std::function<int(int, char**)>>> commands = {
        {"toy", toy_main},       {"train", train_main},       {"sample", sample_main},
        {"logp", logp_main},     {"distance", distance_main}};
    for (const auto& [name, run] : commands)
        if (sub == name)
            return run(argc - 1, argv + 1);
    return io::run_tool("cnf-sample", argc, argv, [&] {
        if (sub == "-h" || sub == "--help") {
            // Every subcommand's options, so that one page (and the man page) has them all.
            std::string text = std::string("Usage:\n  cnf-sample SUBCOMMAND [OPTION...]\n\n") +
                               overview;
            for (auto opts : {toy_options(), train_options(), sample_options(), logp_options(),
                              distance_options()})
                text += "\n" + opts.help();
            throw io::HelpShown{text};
        }
        if (sub == "--version")
            throw io::HelpShown{io::version_text("cnf-sample")};
        throw UsageError(sub.empty() ? "give a subcommand: toy, train, sample, logp or distance"
                                     : "unknown subcommand '" + sub +
                                           "' (toy, train, sample, logp or distance)");
    });
}
