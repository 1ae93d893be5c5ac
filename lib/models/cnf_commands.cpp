#include "models/cnf_commands.hpp"

#include "analysis/energy_distance.hpp"
#include "core/error.hpp"
#include "models/cnf_flow.hpp"
#include "models/field_on_tape.hpp"
#include "models/toy_datasets.hpp"
#include "nn/init.hpp"
#include "io/progress.hpp"
#include "ode/state_names_only.hpp"

#include <stdexcept>

namespace flowkit::models {

namespace {

/// Writes the rows of `values` under `columns`.
void write_table(const std::vector<std::string>& columns, const Mat& values,
                 const io::CommonOptions& common)
{
    io::Output out(common.output);
    io::TableWriter writer(out.stream(), columns, common.format, common.provenance);
    std::vector<double> row(columns.size());
    for (Index i = 0; i < values.rows(); ++i) {
        for (Index j = 0; j < values.cols(); ++j)
            row[std::size_t(j)] = values(i, j);
        writer.row(row);
    }
    writer.flush();
    out.commit();
}

} // namespace

CnfObjective parse_cnf_objective(const std::string& name)
{
    if (name == "fm")
        return CnfObjective::fm;
    if (name == "mle")
        return CnfObjective::mle;
    throw UsageError("--objective must be fm or mle (got '" + name + "')");
}

Mat read_points(io::TableReader& reader, std::vector<std::string>& names)
{
    if (names.empty())
        for (const std::string& c : reader.columns())
            if (!io::is_reserved_column(c))
                names.push_back(c);
    if (names.empty())
        throw DataError("no data columns (every column is reserved)", reader.source());
    std::vector<Index> cols;
    for (const std::string& name : names)
        cols.push_back(reader.require(name));
    const Mat rows = io::read_rows(reader);
    Mat points(rows.rows(), Index(cols.size()));
    for (Index j = 0; j < points.cols(); ++j)
        points.col(j) = rows.col(cols[std::size_t(j)]);
    return points;
}

io::Json cnf_model_json(const CnfArchitecture& arch, const Vec& theta)
{
    return learned_model_json("cnf", ode::StateNamesOnly(arch.state_names), arch.json(), theta);
}

void run_cnf_training(const CnfTrainJob& job)
{
    if (job.data.rows() == 0)
        throw std::invalid_argument("models::run_cnf_training: no data points");
    Rng rng(job.training.seed);
    Vec theta0;
    nn::init_params(job.arch.network(), nn::Init::Torch, rng, theta0);
    const auto model = [&](const Vec& theta) { return cnf_model_json(job.arch, theta); };
    if (job.objective == CnfObjective::fm) {
        CnfMatchingLoss loss(job.arch, job.data, job.matching);
        nn::Training training(job.training, loss, theta0);
        training.keep_last();
        if (job.resumed)
            training.resume(*job.resumed);
        training.run(model);
        return;
    }
    CnfLikelihoodLoss loss(job.arch, job.data, job.likelihood);
    nn::Training training(job.training, loss, theta0);
    training.keep_last();
    training.add_column("forward_evaluations", [&] { return loss.forward_evaluations(); });
    training.add_column("backward_evaluations", [&] { return loss.backward_evaluations(); });
    if (job.resumed)
        training.resume(*job.resumed);
    training.run(model);
}

CnfModel read_cnf_model(const std::string& path)
{
    const io::Model model = io::read_model(path, {"cnf"});
    CnfModel out;
    out.arch = CnfArchitecture::from_json(model);
    out.theta = io::read_numbers(model, model.json, "params", out.arch.network().num_params());
    return out;
}

void write_samples(const CnfSampleJob& job)
{
    require_option(job.count >= 0, "--count", ">= 0", double(job.count));
    job.solver.check();
    const CnfModel m = read_cnf_model(job.model);
    const Index d = m.arch.dim(), K = job.solver.steps_per_interval;

    Rng rng(job.common.seed);
    Mat z(job.count, d);
    for (Index i = 0; i < z.rows(); ++i)
        for (Index j = 0; j < d; ++j)
            z(i, j) = rng.normal();

    // Without --path only t = 1 is written; a fixed-step method takes K steps either way.
    ode::SolverSettings solver = job.solver;
    Vec times = Vec::LinSpaced(2, 0.0, 1.0);
    if (job.path) {
        times.resize(K + 1); // k / K, not LinSpaced's k h: the times print as 0.3, not 0.30000000000000004
        for (Index k = 0; k <= K; ++k)
            times(k) = double(k) / double(K);
        solver.steps_per_interval = 1;
    }
    io::Progress progress("cnf-sample sample", job.common.quiet, job.common.stats);
    NeuralField velocity(m.arch.velocity(), m.theta);
    const bool single = job.precision == nn::Precision::single_precision;
    if (single)
        velocity.use_single_precision();
    const Mat flow = cnf_push_forward(velocity, z, times, solver, job.common.threads);
    std::string how = solver.method;
    if (!ode::rk_scheme(solver.method).adaptive())
        how += ", " + std::to_string(K) + " steps";
    if (single)
        how += ", single precision";
    progress.summary(std::to_string(job.count) + " samples (" + how + ") in " +
                     io::format_duration(progress.elapsed_seconds()));

    if (!job.path) {
        write_table(m.arch.state_names, flow.bottomRows(job.count), job.common);
        return;
    }
    std::vector<std::string> columns{"traj", "t"};
    columns.insert(columns.end(), m.arch.state_names.begin(), m.arch.state_names.end());
    Mat table(flow.rows(), d + 2);
    for (Index k = 0; k < times.size(); ++k)
        for (Index r = 0; r < job.count; ++r) {
            const Index i = k * job.count + r;
            table(i, 0) = double(r);
            table(i, 1) = times(k);
            table.row(i).tail(d) = flow.row(i);
        }
    write_table(columns, table, job.common);
}

void write_log_density(const CnfLogDensityJob& job)
{
    job.solver.check();
    const CnfModel m = read_cnf_model(job.model);
    io::Input in(job.common.input);
    io::TableReader reader(in.stream(), in.name());
    if (reader.find("logp"))
        reader.fail("the input already has a column logp", *reader.find("logp"));
    std::vector<Index> state;
    for (const std::string& name : m.arch.state_names)
        state.push_back(reader.require(name));
    const Mat rows = io::read_rows(reader);
    Mat x(rows.rows(), m.arch.dim());
    for (Index j = 0; j < x.cols(); ++j)
        x.col(j) = rows.col(state[std::size_t(j)]);

    io::Progress progress("cnf-sample logp", job.common.quiet, job.common.stats);
    CnfDensityField field(m.arch, m.theta, job.trace);
    if (job.precision == nn::Precision::single_precision)
        field.use_single_precision();
    Mat probes;
    if (job.trace == TraceEstimator::hutchinson) {
        Rng rng(job.common.seed);
        draw_probes(job.probe, x.rows(), x.cols(), rng, probes);
    }
    const Vec logp = cnf_log_density(field, x, &probes, job.solver, job.common.threads);
    const bool single = job.precision == nn::Precision::single_precision;
    progress.summary(std::to_string(x.rows()) + " points" + (single ? " (single precision)" : "") +
                     " in " + io::format_duration(progress.elapsed_seconds()) +
                     (x.rows() > 0 ? "; mean logp " + io::format_number(logp.mean()) : ""));

    std::vector<std::string> columns = reader.columns();
    columns.push_back("logp");
    Mat table(rows.rows(), rows.cols() + 1);
    table << rows, logp;
    write_table(columns, table, job.common);
}

void write_toy_dataset(const std::string& name, Index count, const io::CommonOptions& common)
{
    require_option(count >= 0, "--count", ">= 0", double(count));
    Rng rng(common.seed);
    write_table({"x1", "x2"}, toy_dataset(name, count, rng), common);
}

void write_energy_distance(const std::string& other, std::vector<std::string> names,
                           const io::CommonOptions& common)
{
    const std::vector<std::string> named = names; // by --vars
    io::Input in(common.input);
    io::TableReader reader(in.stream(), in.name());
    reader.require_named(named, "--vars");
    const Mat x = read_points(reader, names);
    io::Input in2(other);
    io::TableReader reader2(in2.stream(), in2.name());
    reader2.require_named(named, "--vars");
    const Mat y = read_points(reader2, names);
    if (x.rows() == 0 || y.rows() == 0)
        throw DataError("no points to compare", x.rows() == 0 ? in.name() : in2.name());
    const Mat value = Mat::Constant(1, 1, analysis::energy_distance(x, y));
    write_table({"energy_distance"}, value, common);
}

} // namespace flowkit::models
