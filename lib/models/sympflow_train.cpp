#include "models/sympflow_train.hpp"

#include "io/table.hpp"
#include "models/field_on_tape.hpp"
#include "models/sympflow_data_loss.hpp"
#include "nn/init.hpp"

namespace flowkit::models {

io::Json sympflow_model_json(const Sympflow& net, const ode::System& system, const Vec& theta)
{
    return learned_model_json("sympflow", system, net.architecture_json(), theta);
}

void write_hamiltonian(const std::string& model_path, const io::CommonOptions& common)
{
    const io::Model model = io::read_model(model_path, {"sympflow"});
    const Sympflow net(Sympflow::architecture_from_json(model));
    const Vec theta = io::read_numbers(model, model.json, "params", net.num_params());

    io::Input in(common.input);
    io::TableReader reader(in.stream(), in.name());
    std::vector<Index> state;
    for (const std::string& name : net.arch().state_names)
        state.push_back(reader.require(name));
    const std::optional<Index> t_col = reader.find("t");
    if (reader.find("H_N"))
        reader.fail("the input already has a column H_N", *reader.find("H_N"));
    const Mat rows = io::read_rows(reader);

    const Index n = rows.rows();
    Mat x(n, net.arch().dim());
    for (Index j = 0; j < x.cols(); ++j)
        x.col(j) = rows.col(state[std::size_t(j)]);
    const Vec t = t_col ? Vec(rows.col(*t_col)) : Vec(Vec::Zero(n));
    Vec H;
    net.evaluate_hamiltonian(theta, t, x, H);

    std::vector<std::string> columns = reader.columns();
    columns.push_back("H_N");
    io::Output out(common.output);
    io::TableWriter writer(out.stream(), columns, common.format, common.provenance);
    std::vector<double> row(columns.size());
    for (Index i = 0; i < n; ++i) {
        for (Index j = 0; j < rows.cols(); ++j)
            row[std::size_t(j)] = rows(i, j);
        row.back() = H(i);
        writer.row(row);
    }
    writer.flush();
    out.commit();
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
    if (job.data) {
        SympflowDataLoss loss(net, *job.data, job.batch_size, job.loss.threads);
        nn::Training training(job.training, loss, theta0);
        if (job.resumed)
            training.resume(*job.resumed);
        training.run([&](const Vec& theta) { return sympflow_model_json(net, system, theta); });
        return;
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
