// sympflow-train: symplectic neural flows for Hamiltonian systems (CLI.md "sympflow-train").
// Options only.
#include "core/error.hpp"
#include "io/cli.hpp"
#include "models/sympflow_train.hpp"
#include "nn/training_options.hpp"
#include "ode/state_names_only.hpp"
#include "ode/system_options.hpp"

#include <string>

using namespace flowkit;

/// `sympflow-train hamiltonian --model M`: the learned Hamiltonian at given points.
int hamiltonian_main(int argc, char** argv)
{
    return io::run_tool("sympflow-train hamiltonian", argc, argv, [&] {
        cxxopts::Options opts("sympflow-train hamiltonian",
                              "Write the SympFlow's own Hamiltonian H_N at given points.\n\n"
                              "Reads the model's state columns (and t, default 0) and writes "
                              "every input column and H_N, the Hamiltonian whose time-t flow "
                              "is N(t, .). It is defined up to a constant: compare differences.");
        opts.custom_help("--model MODEL.json [OPTION...] < points.csv");
        io::add_common_options(opts);
        opts.add_options("Hamiltonian")("model", "The sympflow-train model ('-': standard input).",
                                        cxxopts::value<std::string>(), "MODEL.json");
        const auto args = io::parse(opts, argc, argv);
        if (!args.count("model"))
            throw UsageError("--model is required");
        models::write_hamiltonian(args["model"].as<std::string>(),
                                  io::common_options(args, "sympflow-train hamiltonian", argc, argv));
    });
}

// The defaults of unsupervised training: 72000 epochs, the last third L-BFGS on 2 C points,
// about 110 s on 2 cores. With 24000 epochs, a quarter L-BFGS on 4 C points (43 s), 4 of 7
// seeds kept all 10 Henon-Heiles orbits of the demo within 0.02 of their reference sections, and
// 3 lost the one in a thin island chain; with 72000 epochs and a quarter, 6 of 7; with these,
// 7 of 7 (bench/sympflow-sections.sh).
constexpr long default_epochs = 72000, default_lbfgs_share = 3,
               default_lbfgs_points_per_collocation = 2;
// Models that do not record their epochs (before 72000) resume with these; models that do not
// record their L-BFGS epochs, with a quarter.
constexpr long earlier_epochs = 24000, earlier_lbfgs_share = 4,
               earlier_lbfgs_points_per_collocation = 4;

/// Whether the run resumes a model that does not record `option`: one from before its default
/// was recorded.
bool resumes_without(const nn::TrainingCommandLine& cl, const char* option)
{
    return cl.resumed && !cl.resumed->json.at("training").at("options").contains(option);
}

/// Adam then L-BFGS: fills in the L-BFGS epochs, a third of the epochs unless given, and records
/// them, so that a resumed run is the run that was stopped whatever the defaults are then.
void resolve_lbfgs_epochs(const nn::TrainingCommandLine& cl, nn::TrainingParams& p)
{
    if (p.optimizer != nn::OptimizerKind::adam_lbfgs)
        return;
    if (p.lbfgs_epochs < 0) {
        const long share =
            resumes_without(cl, "lbfgs-epochs") ? earlier_lbfgs_share : default_lbfgs_share;
        p.lbfgs_epochs = p.epochs / share;
    }
    p.options["lbfgs-epochs"] = std::to_string(p.lbfgs_epochs);
}

/// Fills in and records the epochs, the L-BFGS epochs and the L-BFGS set of unsupervised
/// training, likewise.
void resolve_equation_defaults(const nn::TrainingCommandLine& cl, models::SympflowTrainJob& job)
{
    const bool earlier_defaults = resumes_without(cl, "epochs");
    if (earlier_defaults && !cl.args.count("epochs"))
        job.training.epochs = earlier_epochs;
    job.training.options["epochs"] = std::to_string(job.training.epochs);
    resolve_lbfgs_epochs(cl, job.training);
    const long points_per_collocation = earlier_defaults ? earlier_lbfgs_points_per_collocation
                                                        : default_lbfgs_points_per_collocation;
    if (job.loss.lbfgs_collocation == 0)
        job.loss.lbfgs_collocation = points_per_collocation * job.loss.collocation;
    job.training.options["lbfgs-collocation"] = std::to_string(job.loss.lbfgs_collocation);
}

int main(int argc, char** argv)
{
    if (argc > 1 && std::string(argv[1]) == "hamiltonian")
        return hamiltonian_main(argc - 1, argv + 1);
    return io::run_tool("sympflow-train", argc, argv, [&] {
        cxxopts::Options opts(
            "sympflow-train",
            "Train a symplectic neural flow (SympFlow) for a Hamiltonian system.\n\n"
            "The network N(t, (q, p)) composes L pairs of maps p <- p - (grad V(t, q) - "
            "grad V(0, q)), q <- q + (grad K(t, p) - grad K(0, p)), each the exact flow of a "
            "Hamiltonian, so N(0, x) = x and N(t, .) is symplectic for every t. Unsupervised "
            "training fits dN/dt to J grad H(N) at points (t, x0) of [-0.1 dt, dt] x Omega drawn "
            "afresh every epoch. integrate --flow composes N(dt, .) to reach any time. Writes "
            "the model JSON (kind sympflow) to -o or standard output. 'sympflow-train "
            "hamiltonian --model M' writes the learned Hamiltonian H_N at given points.\n\n"
            "Example:\n  sympflow-train --system henon-heiles --domain "
            "\"x=-1:1,y=-1:1,px=-1:1,py=-1:1\" -o sf.json\n");
        opts.custom_help("[OPTION...] -o MODEL.json");
        io::add_common_options(opts);
        ode::add_system_options(opts);
        nn::add_training_options(opts, {default_epochs, 5e-3, "adam+lbfgs", "constant", 1.0, "10,10",
                                        "tanh", default_lbfgs_share});
        // clang-format off
        opts.add_options("SympFlow")
            ("dt", "The flow is learnt for t in [0, D]; integrate --flow composes N(D, .). "
                   "Default 0.5 (the paper's 1 gives 2 to 4 times the energy error at the same "
                   "cost); with --data, 1.",
             cxxopts::value<std::string>(), "D")
            ("domain", "The region Omega of initial states, a range for every state variable.",
             cxxopts::value<std::string>(), "\"a=lo:hi,...\"")
            ("ham-match", "Add W mean (H_N(t, x0) - H(x0))^2: the network's own Hamiltonian "
                          "against the system's (Hamiltonian matching).",
             cxxopts::value<std::string>()->default_value("0"), "W")
            ("data", "Train from trajectories (traj,t,<state>) instead of equations: each "
                      "trajectory's first row is x0, its later rows within D are targets of "
                      "N(t - t0, x0) (mean squared error). The defaults become 500 epochs of Adam "
                      "with a one-cycle schedule peaking at lr 5e-2, no clipping.",
             cxxopts::value<std::string>(), "TRAJ.csv")
            ("batch-size", "--data: samples per minibatch.",
             cxxopts::value<std::string>()->default_value("512"), "B")
            ("layers", "Pairs of maps (V, K).", cxxopts::value<std::string>()->default_value("3"), "L")
            ("collocation", "Points (t, x0) drawn per epoch.",
             cxxopts::value<std::string>()->default_value("1000"), "C")
            ("lbfgs-collocation", "L-BFGS trains on one fixed set of N points (default: 2 C).",
             cxxopts::value<std::string>()->default_value("0"), "N")
            ("precision", "Arithmetic of the network in the Adam epochs: double, or single "
                          "(float, as PyTorch's float32 training: about twice as fast; the "
                          "L-BFGS epochs, the parameters and the model stay double). Tanh only, "
                          "not with --data.",
             cxxopts::value<std::string>()->default_value("double"), "P");
        // clang-format on
        const auto cl =
            nn::parse_training_command_line(opts, "sympflow-train", argc, argv, {"sympflow"});
        const auto& args = cl.args;
        const bool from_data = args.count("data") > 0;
        const bool system_given = args.count("system") || args.count("rhs") || args.count("hamiltonian");
        models::SympflowTrainJob job;
        models::SympflowArchitecture& a = job.arch;
        // A resumed model keeps its D (models from before the default became 0.5 do not
        // record it among their options).
        if (args.count("dt"))
            a.dt = io::number_option(args, "dt");
        else if (cl.resumed)
            a.dt = models::Sympflow::architecture_from_json(*cl.resumed).dt;
        else
            a.dt = from_data ? 1.0 : 0.5;
        if (from_data) {
            io::Input in(args["data"].as<std::string>());
            io::TableReader reader(in.stream(), in.name());
            std::vector<std::string> names;
            if (args.count("vars") && !system_given)
                names = io::parse_names(args["vars"].as<std::string>(), "vars");
            reader.require_named(names, "--vars");
            job.data = models::read_flow_samples(reader, names, a.dt);
        }
        const std::unique_ptr<ode::System> system =
            from_data && !system_given ? std::make_unique<ode::StateNamesOnly>(job.data->names)
                                       : ode::system_from_options(args);
        a.state_names = system->names();
        if (args.count("domain"))
            a.domain = io::order_ranges(io::parse_ranges(args["domain"].as<std::string>(), "--domain"),
                                        a.state_names, "--domain");
        else if (from_data)
            a.domain = models::bounding_box(*job.data);
        else
            throw UsageError("--domain is required: the region of initial states to learn");
        a.layers = io::integer_option(args, "layers");
        a.hidden = nn::hidden_widths(args);
        a.activation = nn::activation_option(args);
        job.loss.collocation = io::integer_option(args, "collocation");
        job.loss.lbfgs_collocation = io::integer_option(args, "lbfgs-collocation");
        job.loss.ham_match = io::number_option(args, "ham-match");
        job.loss.seed = cl.common.seed;
        job.loss.threads = cl.common.threads;
        job.batch_size = io::integer_option(args, "batch-size");
        job.training = nn::training_params(cl, "sympflow-train");
        if (!from_data) {
            resolve_equation_defaults(cl, job);
        } else { // the paper's supervised set-up, unless asked otherwise
            nn::TrainingParams& p = job.training;
            if (!args.count("epochs"))
                p.epochs = 500;
            if (!args.count("optimizer"))
                p.optimizer = nn::OptimizerKind::adam;
            if (!args.count("schedule"))
                p.schedule.kind = nn::ScheduleKind::one_cycle;
            if (!args.count("lr"))
                p.adam.lr = 5e-2;
            if (!args.count("clip"))
                p.adam.clip = 0;
            resolve_lbfgs_epochs(cl, p);
        }
        job.loss.precision = nn::parse_precision(args["precision"].as<std::string>());
        if (job.loss.precision == nn::Precision::single_precision) {
            if (from_data)
                throw UsageError("--precision single applies to training from equations; "
                                 "--data trains in double");
            if (a.activation != nn::Activation::Tanh)
                throw UsageError(std::string("--precision single needs --activation tanh, not ") +
                                 nn::activation_name(a.activation));
            if (job.training.optimizer == nn::OptimizerKind::lbfgs)
                throw UsageError("--precision single runs the Adam epochs in float; "
                                 "--optimizer lbfgs has none");
        }
        job.resumed = cl.resumed;
        models::run_sympflow_training(job, *system);
    });
}
