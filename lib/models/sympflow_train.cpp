#include "models/sympflow_train.hpp"

#include "nn/init.hpp"

namespace flowkit::models {

io::Json sympflow_model_json(const Sympflow& net, const ode::System& system, const Vec& theta)
{
    io::Json m = io::new_model("sympflow", net.arch().state_names);
    m["system"] = system.describe();
    m["architecture"] = net.architecture_json();
    m["params"] = std::vector<double>(theta.data(), theta.data() + theta.size());
    return m;
}

void run_sympflow_training(const SympflowTrainJob& job, const ode::System& system)
{
    const Sympflow net(job.arch);
    // Every potential from PyTorch's default initialisation, as the paper's code; h0 = 0.
    Rng rng(job.training.seed);
    const Index m = net.potential().num_params();
    Vec theta0 = Vec::Zero(net.num_params()), part;
    for (Index j = 0; j < 2 * job.arch.layers; ++j) {
        nn::init_params(net.potential(), nn::Init::Torch, rng, part);
        theta0.segment(j * m, m) = part;
    }
    SympflowLoss loss(net, system, job.loss);
    nn::Training training(job.training, loss, theta0);
    // The paper keeps the model with the lowest loss on a fixed test set in the last 15 %.
    training.select_best_by([&](const Vec& theta) { return loss.test_loss(theta); },
                            job.training.epochs - job.training.epochs * 15 / 100);
    if (job.resumed)
        training.resume(*job.resumed);
    training.run([&](const Vec& theta) { return sympflow_model_json(net, system, theta); });
}

} // namespace flowkit::models
