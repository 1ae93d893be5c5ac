#include "models/node_train.hpp"

#include "core/error.hpp"
#include "models/cnf_model.hpp"
#include "models/field_on_tape.hpp"
#include "nn/init.hpp"
#include "ode/state_names_only.hpp"

namespace flowkit::models {

io::Json node_model_json(const NodeArchitecture& arch, const Vec& theta)
{
    return learned_model_json("node", ode::StateNamesOnly(arch.state_names), arch.json(), theta);
}

void run_node_training(const NodeTrainJob& job)
{
    // The network from PyTorch's default initialisation (as torchdiffeq's examples);
    // the read-in and read-out start as the identity.
    Rng rng(job.training.seed);
    Vec net;
    nn::init_params(job.arch.network(), nn::Init::Torch, rng, net);
    NodeLoss loss(job.arch, job.data, job.loss);
    nn::Training training(job.training, loss, initial_node_params(job.arch, net));
    training.add_column("forward_evaluations", [&] { return loss.forward_evaluations(); });
    training.add_column("backward_evaluations", [&] { return loss.backward_evaluations(); });
    if (job.resumed)
        training.resume(*job.resumed);
    training.run([&](const Vec& theta) { return node_model_json(job.arch, theta); });
}

LearnedField read_learned_field(const std::string& path)
{
    const io::Model model = io::read_model(path, {"node", "cnf"});
    LearnedField out;
    // A CNF's velocity field is a time-dependent Neural ODE field with the same parameters.
    out.arch = model.json.at("kind") == "cnf" ? CnfArchitecture::from_json(model).velocity()
                                              : NodeArchitecture::from_json(model);
    out.theta = io::read_numbers(model, model.json, "params", out.arch.num_params());
    if (out.arch.augment > 0)
        throw UsageError("integrate --field steps the learned field in its own " +
                         std::to_string(out.arch.ode_dim()) +
                         " dimensions; a model fitted with --augment is not supported here yet");
    out.field = std::make_unique<NeuralField>(out.arch, out.theta);
    return out;
}

} // namespace flowkit::models
