// pinn-train: physics-informed networks for an IVP or for a flow map (CLI.md "pinn-train").
// Options only.
#include "core/error.hpp"
#include "io/cli.hpp"
#include "models/pinn_train.hpp"
#include "nn/training_options.hpp"
#include "ode/system_options.hpp"

#include <iostream>

using namespace flowkit;

int main(int argc, char** argv)
{
    return io::run_tool("pinn-train", argc, argv, [&] {
        cxxopts::Options opts(
            "pinn-train",
            "Train a physics-informed network (PINN) on an ODE.\n\n"
            "IVP mode (--ic, --t-end) learns N(t) on [0, T] for one initial condition; flow-map "
            "mode (--dt, --domain) learns N(t; x0) on [0, dt] x Omega, which integrate --flow "
            "composes to reach any time; --param-domain adds system parameters to the inputs, so "
            "one training answers a whole family. The loss is the mean over collocation points of "
            "|dN/dt - F(t, N)|^2; the initial condition is built into the network (hard, "
            "hard-tfc) or penalised (soft). Writes the model JSON (kind pinn) to -o or "
            "standard output.\n\n"
            "Example:\n  pinn-train --system harmonic --ic 1,0 --t-end 10 -o pinn.json "
            "--validate\n");
        opts.custom_help("[OPTION...] -o MODEL.json");
        io::add_common_options(opts);
        ode::add_system_options(opts);
        nn::add_training_options(opts, {2000, 1e-2, "adam+lbfgs", "constant", 0, "50,50", "tanh"});
        // clang-format off
        opts.add_options("PINN")
            ("ic", "IVP mode: the initial condition x0.", cxxopts::value<std::string>(), "V1,V2,...")
            ("t-end", "IVP mode: learn N(t) on [0, T].", cxxopts::value<std::string>(), "T")
            ("dt", "Flow-map mode: learn N(t; x0) for t in [0, D].", cxxopts::value<std::string>(), "D")
            ("domain", "Flow-map mode: the region Omega of initial states, a range for every "
                       "state variable.", cxxopts::value<std::string>(), "\"a=lo:hi,...\"")
            ("param-domain", "Parametric: these system parameters become inputs of the network, "
                             "each trained over its range; integrate --flow --param picks one.",
             cxxopts::value<std::string>(), "\"k=lo:hi,...\"")
            ("ic-mode", "hard: N = x0 + t M; hard-tfc: N = x0 + M(t) - M(0); soft: N = M with "
                        "a penalty on M(0) - x0.",
             cxxopts::value<std::string>()->default_value("hard"), "MODE")
            ("ic-weight", "soft: the penalty's weight G.",
             cxxopts::value<std::string>()->default_value("1"), "G")
            ("collocation", "Collocation points per epoch.",
             cxxopts::value<std::string>()->default_value("1000"), "C")
            ("resample-every", "Draw new collocation points every K epochs.",
             cxxopts::value<std::string>()->default_value("1"), "K")
            ("sampler", "uniform, sobol or halton (randomly shifted).",
             cxxopts::value<std::string>()->default_value("uniform"), "NAME")
            ("lbfgs-collocation", "L-BFGS trains on one fixed set of N points (default: 4 C).",
             cxxopts::value<std::string>()->default_value("0"), "N")
            ("validate", "After training, write max_error,rms_error,max_residual: the error "
                         "against a tight dopri5 solution and the largest residual on a "
                         "Gauss-Legendre grid (to standard output with -o, else standard error).");
        // clang-format on
        const auto cl = nn::parse_training_command_line(opts, "pinn-train", argc, argv, {"pinn"});
        const auto& args = cl.args;
        const auto system = ode::system_from_options(args);

        models::PinnTrainJob job;
        models::PinnArchitecture& a = job.arch;
        a.state_names = system->names();
        const bool ivp = args.count("ic") || args.count("t-end");
        const bool flow = args.count("dt") || args.count("domain");
        if (ivp == flow)
            throw UsageError("give --ic and --t-end (an IVP) or --dt and --domain (a flow map)");
        if (ivp) {
            if (!args.count("ic") || !args.count("t-end"))
                throw UsageError("IVP mode needs both --ic and --t-end");
            const auto ic = io::parse_numbers(args["ic"].as<std::string>(), "--ic");
            a.ic = Eigen::Map<const Vec>(ic.data(), Index(ic.size()));
            a.span = io::number_option(args, "t-end");
        } else {
            if (!args.count("dt") || !args.count("domain"))
                throw UsageError("flow-map mode needs both --dt and --domain");
            a.mode = models::PinnMode::flow_map;
            a.span = io::number_option(args, "dt");
            a.domain = io::order_ranges(io::parse_ranges(args["domain"].as<std::string>(), "--domain"),
                                        a.state_names, "--domain");
        }
        if (args.count("param-domain"))
            a.param_domain =
                io::parse_ranges(args["param-domain"].as<std::string>(), "--param-domain");
        a.ic_mode = models::parse_ic_mode(args["ic-mode"].as<std::string>());
        a.hidden = nn::hidden_widths(args);
        a.activation = nn::activation_option(args);

        job.loss.collocation = io::integer_option(args, "collocation");
        job.loss.resample_every = io::integer_option(args, "resample-every");
        job.loss.sampler = models::parse_sampler(args["sampler"].as<std::string>());
        job.loss.lbfgs_collocation = io::integer_option(args, "lbfgs-collocation");
        job.loss.ic_weight = io::number_option(args, "ic-weight");
        job.loss.seed = cl.common.seed;
        job.loss.threads = cl.common.threads;
        job.training = nn::training_params(cl, "pinn-train");
        job.resumed = cl.resumed;
        job.validate = args.count("validate") > 0;
        models::run_pinn_training(job, *system, std::cout);
    });
}
