#include "nn/training.hpp"

#include "core/error.hpp"
#include "io/interrupt.hpp"
#include "io/progress.hpp"
#include "io/table.hpp"
#include "nn/history.hpp"
#include "nn/training_state.hpp"

#include <cmath>
#include <cstdio>
#include <iostream>
#include <limits>

namespace flowkit::nn {

namespace {

// The loop's generator is a stream of its own, apart from the tool's Rng(seed) that draws the
// initial weights.
constexpr std::uint64_t loop_stream = 0x747261696e696e67; // "training"

/// Four significant digits, for people (the files keep every digit).
std::string short_number(double v)
{
    char text[32];
    std::snprintf(text, sizeof text, "%.4g", v);
    return text;
}

} // namespace

OptimizerKind parse_optimizer(const std::string& name)
{
    for (OptimizerKind k : {OptimizerKind::adam, OptimizerKind::lbfgs, OptimizerKind::adam_lbfgs})
        if (name == to_string(k))
            return k;
    throw UsageError("--optimizer must be adam, lbfgs or adam+lbfgs (got '" + name + "')");
}

std::string to_string(OptimizerKind kind)
{
    switch (kind) {
    case OptimizerKind::adam:
        return "adam";
    case OptimizerKind::lbfgs:
        return "lbfgs";
    case OptimizerKind::adam_lbfgs:
        return "adam+lbfgs";
    }
    return "adam";
}

long TrainingParams::adam_epochs() const
{
    switch (optimizer) {
    case OptimizerKind::adam:
        return epochs;
    case OptimizerKind::lbfgs:
        return 0;
    case OptimizerKind::adam_lbfgs:
        return epochs - (lbfgs_epochs >= 0 ? std::min(lbfgs_epochs, epochs) : epochs / 4);
    }
    return epochs;
}

void TrainingParams::check() const
{
    require_option(epochs >= 0, "--epochs", ">= 0", double(epochs));
    adam.check();
    lbfgs.check();
    require_option(lbfgs_epochs >= -1, "--lbfgs-epochs", ">= 0", double(lbfgs_epochs));
    if (lbfgs_epochs >= 0 && optimizer != OptimizerKind::adam_lbfgs)
        throw UsageError("--lbfgs-epochs sets the L-BFGS phase of --optimizer adam+lbfgs, not of " +
                         to_string(optimizer));
    require_option(log_every >= 1, "--log-every", ">= 1", double(log_every));
    require_option(checkpoint_every >= 0, "--checkpoint-every", ">= 0", double(checkpoint_every));
    if (checkpoint_every > 0 && output.empty())
        throw UsageError("--checkpoint-every needs -o FILE to write the checkpoints to");
    if (target_loss)
        require_option(std::isfinite(*target_loss), "--target-loss", "a finite number", *target_loss);
    Schedule s = schedule;
    s.lr = adam.lr;
    s.epochs = std::max(1L, adam_epochs());
    s.check();
}

Training::Training(TrainingParams params, Objective& objective, Vec theta0)
    : m_params(std::move(params)), m_objective(objective), m_theta(std::move(theta0)),
      m_best(m_theta), m_best_loss(std::numeric_limits<double>::infinity()),
      m_rng(m_params.seed ^ loop_stream), m_adam(m_params.adam), m_lbfgs(m_params.lbfgs)
{
    m_params.check();
    m_params.schedule.lr = m_params.adam.lr;
    m_params.schedule.epochs = std::max(1L, m_params.adam_epochs());
}

void Training::add_column(std::string name, std::function<double()> value)
{
    m_columns.push_back({std::move(name), std::move(value)});
}

void Training::select_best_by(std::function<double(const Vec&)> score, long from_epoch)
{
    m_score = std::move(score);
    m_score_from = from_epoch;
}

void Training::resume(const io::Model& model)
{
    try {
        restore(model);
    } catch (const io::Json::exception& e) {
        throw DataError(std::string("model's training state is malformed: ") + e.what(),
                        model.source);
    }
}

void Training::restore(const io::Model& model)
{
    const io::Json& state = io::require_key(model, model.json, "state");
    const Index n = m_theta.size();
    m_theta = io::read_numbers(model, state, "theta", n);
    m_best = io::read_numbers(model, model.json, "params", n);
    const io::Json& epoch = io::require_key(model, state, "epoch");
    if (!epoch.is_number_unsigned())
        throw DataError("model key 'epoch' is not a count", model.source);
    m_epoch = epoch.get<long>();
    const io::Json& best = io::require_key(model, state, "best");
    const io::Json& best_loss = io::require_key(model, best, "loss");
    m_best_loss = best_loss.is_number() ? best_loss.get<double>()
                                        : std::numeric_limits<double>::infinity();
    m_best_epoch = io::require_key(model, best, "epoch").get<long>();
    m_evaluations = io::require_key(model, state, "evaluations").get<long long>();
    m_rng.set_state(read_rng_state(model, io::require_key(model, state, "rng")));
    if (state.contains("adam"))
        m_adam.set_state(read_adam_state(model, state["adam"], n));
    if (state.contains("lbfgs"))
        m_lbfgs.set_state(read_lbfgs_state(model, state["lbfgs"], m_theta));
    const io::Json& training = io::require_key(model, model.json, "training");
    if (training.contains("seconds") && training["seconds"].is_number())
        m_seconds_before = training["seconds"].get<double>();
}

double Training::adam_epoch(long epoch, double& lr)
{
    lr = m_params.schedule.rate(epoch);
    m_adam.set_lr(lr);
    m_objective.shuffle(m_rng, epoch);
    const Index batches = m_objective.num_batches();
    double sum = 0;
    for (Index b = 0; b < batches; ++b) {
        m_objective.select_batch(b);
        if (batches == 1 && !m_score && !m_keep_last) {
            // The loss Adam reports is that of the parameters before its step.
            const Vec before = m_theta;
            sum = m_adam.step(m_objective, m_theta);
            consider_best(epoch - 1, sum, before);
        } else {
            sum += m_adam.step(m_objective, m_theta);
        }
        ++m_evaluations;
    }
    const double loss = sum / double(batches);
    if (batches > 1 && !m_score && !m_keep_last)
        consider_best(epoch, loss, m_theta); // the epoch's mean minibatch loss
    return loss;
}

double Training::lbfgs_epoch(double& lr)
{
    m_objective.use_full_batch();
    const long long evaluations = m_lbfgs.evaluations();
    const double loss = m_lbfgs.step(m_objective, m_theta);
    m_evaluations += m_lbfgs.evaluations() - evaluations;
    lr = m_lbfgs.last_step_length();
    return loss;
}

void Training::consider_best(long epoch, double loss, const Vec& theta)
{
    if (loss < m_best_loss) {
        m_best_loss = loss;
        m_best_epoch = epoch;
        m_best = theta;
    }
}

io::Json Training::state_json(long epoch) const
{
    io::Json s;
    s["epoch"] = epoch;
    s["theta"] = std::vector<double>(m_theta.data(), m_theta.data() + m_theta.size());
    s["best"] = {{"loss", std::isfinite(m_best_loss) ? io::Json(m_best_loss) : io::Json(nullptr)},
                 {"epoch", m_best_epoch}};
    s["evaluations"] = m_evaluations;
    s["rng"] = to_json(m_rng.state());
    // The state of each optimiser that has run.
    if (m_adam.state().t > 0)
        s["adam"] = to_json(m_adam.state());
    if (m_lbfgs.state().x.size() > 0)
        s["lbfgs"] = to_json(m_lbfgs.state());
    return s;
}

io::Json Training::training_json(const TrainingResult& r) const
{
    io::Json t;
    t["options"] = m_params.options;
    t["seed"] = m_params.seed;
    t["epochs"] = r.epochs;
    t["loss"] = std::isfinite(r.loss) ? io::Json(r.loss) : io::Json(nullptr);
    t["best_loss"] = std::isfinite(r.best_loss) ? io::Json(r.best_loss) : io::Json(nullptr);
    t["stop"] = r.stop;
    t["seconds"] = r.seconds;
    return t;
}

void Training::write(const ModelBuilder& build, const TrainingResult& result, bool to_stdout) const
{
    io::Json model = build(m_best);
    model["state"] = state_json(result.epochs);
    model["training"] = training_json(result);
    if (!m_params.output.empty())
        io::write_model(m_params.output, model);
    else if (to_stdout)
        std::cout << model.dump(1) << '\n';
}

TrainingResult Training::run(const ModelBuilder& build)
{
    const TrainingParams& p = m_params;
    io::Progress progress(p.tool, p.quiet, p.stats);
    std::vector<std::string> header = {"epoch", "loss", "lr", "evaluations"};
    for (const Column& c : m_columns)
        header.push_back(c.name);
    header.push_back("seconds");
    History history(p.history, header, m_epoch);
    io::InterruptScope interrupts;

    const long first = m_epoch;
    long last_checkpoint = 0;
    TrainingResult r;
    r.stop = "epoch limit";
    r.loss = m_best_loss;
    auto record = [&](const std::string& stop) {
        r.epochs = m_epoch;
        r.best_loss = m_best_loss;
        r.best_epoch = m_best_epoch;
        r.evaluations = m_evaluations;
        r.seconds = m_seconds_before + progress.elapsed_seconds();
        r.stop = stop;
    };

    for (long epoch = m_epoch + 1; epoch <= p.epochs; ++epoch) {
        if (io::InterruptScope::signal_received())
            break;
        const bool adam = epoch <= p.adam_epochs();
        double lr = 0, loss = 0;
        try {
            loss = adam ? adam_epoch(epoch, lr) : lbfgs_epoch(lr);
        } catch (const ComputeError& e) {
            progress.finish();
            const std::string kept =
                last_checkpoint > 0 ? "; the checkpoint of epoch " + std::to_string(last_checkpoint) +
                                          " stays in '" + p.output + "'"
                                    : "";
            throw ComputeError("training diverged at epoch " + std::to_string(epoch) + ": " +
                               e.what() + " (no model written" + kept + ")");
        }
        if (!adam && lr == 0) {
            // L-BFGS stopped where it stood (the gradient test): no epoch was spent.
            r.loss = loss;
            consider_best(m_epoch, loss, m_theta);
            r.stop = to_string(m_lbfgs.stop());
            break;
        }
        m_epoch = epoch;
        r.loss = loss;
        if (!adam)
            consider_best(epoch, loss, m_theta);
        if (m_score && epoch >= m_score_from)
            consider_best(epoch, m_score(m_theta), m_theta);
        if (m_keep_last) {
            m_best = m_theta;
            m_best_loss = loss;
            m_best_epoch = epoch;
        }

        const bool lbfgs_stopped = !adam && m_lbfgs.stop() != LbfgsStop::none;
        const bool reached = p.target_loss && loss < *p.target_loss;
        const bool last = epoch == p.epochs || lbfgs_stopped || reached;
        if (history.enabled() && (epoch % p.log_every == 0 || last)) {
            std::vector<double> row = {loss, lr, double(m_evaluations)};
            for (const Column& c : m_columns)
                row.push_back(c.value());
            row.push_back(m_seconds_before + progress.elapsed_seconds());
            history.write(epoch, row);
        }
        if (p.checkpoint_every > 0 && epoch % p.checkpoint_every == 0 && !last) {
            record("checkpoint");
            write(build, r, false);
            last_checkpoint = epoch;
        }
        if (progress.shows_line())
            progress.update(double(epoch - first) / double(p.epochs - first),
                            "epoch " + std::to_string(epoch) + "/" + std::to_string(p.epochs) +
                                "  loss " + short_number(loss) + "  " +
                                short_number(double(epoch - first) /
                                             std::max(progress.elapsed_seconds(), 1e-9)) +
                                " epochs/s");
        if (lbfgs_stopped) {
            r.stop = to_string(m_lbfgs.stop());
            break;
        }
        if (reached) {
            r.stop = "target loss";
            break;
        }
    }
    const int signal = io::InterruptScope::signal_received();
    record(signal ? "interrupted" : r.stop);
    write(build, r, true);
    const double run_seconds = progress.elapsed_seconds();
    progress.summary(std::to_string(m_epoch - first) + " epochs in " +
                     io::format_duration(run_seconds) + " (" +
                     short_number(double(m_epoch - first) / std::max(run_seconds, 1e-9)) +
                     " epochs/s), stop: " + r.stop + "; loss " + short_number(r.loss) + ", best " +
                     short_number(r.best_loss) + " after epoch " + std::to_string(r.best_epoch) + ", " +
                     std::to_string(r.evaluations) + " evaluations");
    if (signal)
        throw Interrupted("interrupted by " + std::string(io::signal_name(signal)) +
                              " after epoch " + std::to_string(m_epoch) +
                              (p.output.empty() ? ""
                                                : "; the model so far is in '" + p.output + "'"),
                          signal);
    return r;
}

} // namespace flowkit::nn
