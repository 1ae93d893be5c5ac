// The training loop every training tool shares (CLI.md "Training tools", DESIGN.md "Model
// JSON", "Training history"): epochs of Adam, L-BFGS, or Adam then L-BFGS over an Objective,
// with a learning-rate schedule, the best parameters kept, a history CSV, a progress line,
// checkpoints, exact resume and graceful SIGINT/SIGTERM. The optimisers never print; this loop
// does the bookkeeping, and the tool only says how to turn parameters into a model file.
#pragma once

#include "io/model_json.hpp"
#include "nn/adam.hpp"
#include "nn/lbfgs.hpp"
#include "nn/objective.hpp"
#include "nn/schedule.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace flowkit::nn {

enum class OptimizerKind
{
    adam,
    lbfgs,
    adam_lbfgs ///< Adam, then L-BFGS for the last lbfgs_epochs epochs
};
/// "adam", "lbfgs", "adam+lbfgs" -> kind; UsageError naming --optimizer otherwise.
OptimizerKind parse_optimizer(const std::string& name);
std::string to_string(OptimizerKind kind);

struct TrainingParams
{
    std::string tool = "train";          ///< for the progress line and summary
    long epochs = 1000;                  ///< total epochs, resumed ones included (--epochs), >= 0
    OptimizerKind optimizer = OptimizerKind::adam;
    AdamParams adam;                     ///< lr, betas, eps, weight decay, clip (its epochs unused)
    Schedule schedule;                   ///< kind and its options; lr and span set by the loop
    LbfgsParams lbfgs;
    long lbfgs_epochs = -1;              ///< adam+lbfgs: L-BFGS epochs at the end; -1 = a quarter
    std::optional<double> target_loss;   ///< stop once an epoch's loss is below it
    std::string history;                 ///< --history file ("" = none)
    long log_every = 1;                  ///< history row every K epochs (and the last), >= 1
    long checkpoint_every = 0;           ///< write the model every K epochs (needs output); 0 = never
    std::string output;                  ///< -o file; "" = stdout at the end only
    std::uint64_t seed = 0;              ///< seeds the loop's Rng (shuffles, collocation)
    bool quiet = false, stats = false;
    io::Json options = io::Json::object(); ///< the options that made the model (training.options)

    /// Epochs of the Adam phase: all, none (lbfgs) or epochs - lbfgs_epochs.
    long adam_epochs() const;
    /// UsageError naming the option.
    void check() const;
};

/// How the run ended.
struct TrainingResult
{
    long epochs = 0;             ///< epochs done in total (resumed ones included)
    double loss = 0;             ///< the last epoch's loss
    double best_loss = 0;        ///< the loss (or score) of the parameters kept as `params`
    long best_epoch = 0;         ///< after how many epochs those parameters were reached
    long long evaluations = 0;   ///< objective evaluations in total
    double seconds = 0;          ///< wall time in total (resumed runs included)
    std::string stop;            ///< "epoch limit", "target loss", or an L-BFGS stop reason
};

/// Turns parameters into a model JSON (envelope, system, architecture, params); the loop adds
/// "state" and "training" and writes it.
using ModelBuilder = std::function<io::Json(const Vec& params)>;

class Training
{
public:
    /// theta0: the initial parameters (ignored when resuming). Checks params.
    Training(TrainingParams params, Objective& objective, Vec theta0);

    /// Continues the run saved in `model` (its "params", "state", and "training" seconds): the
    /// run then goes on as if it had never stopped. DataError if the state does not fit.
    void resume(const io::Model& model);
    /// An extra history column, evaluated at each logged epoch (e.g. evaluations of an ODE solve).
    void add_column(std::string name, std::function<double()> value);
    /// Judge the best parameters by score(theta after the epoch) (e.g. a loss on a fixed test set)
    /// from epoch `from_epoch` on, instead of by the training loss.
    void select_best_by(std::function<double(const Vec& theta)> score, long from_epoch);
    /// Keep the last parameters as the model: when every epoch sees a fresh random batch, its
    /// loss says little about which epoch was best.
    void keep_last() { m_keep_last = true; }

    /// Trains to params.epochs or until a stop; writes the model (best parameters, state,
    /// training record) to params.output at checkpoints and at the end (to stdout at the end
    /// when there is no output). A first SIGINT/SIGTERM saves the model as it is after the
    /// last whole epoch and throws Interrupted. A non-finite loss or any ComputeError from the
    /// objective throws ComputeError naming the epoch; no model is written then (a checkpoint
    /// already on disk stays) and the history is kept.
    TrainingResult run(const ModelBuilder& build);

    const Vec& best_params() const { return m_best; }
    const Vec& last_params() const { return m_theta; }

private:
    struct Column
    {
        std::string name;
        std::function<double()> value;
    };

    /// resume() but for the translation of JSON type errors.
    void restore(const io::Model& model);
    /// One epoch; returns its loss (and the step size it took in `lr`).
    double adam_epoch(long epoch, double& lr);
    double lbfgs_epoch(double& lr);
    void consider_best(long epoch, double loss, const Vec& theta_before);
    io::Json state_json(long epoch) const;
    io::Json training_json(const TrainingResult& result) const;
    void write(const ModelBuilder& build, const TrainingResult& result, bool to_stdout) const;

    TrainingParams m_params;
    Objective& m_objective;
    Vec m_theta, m_best;
    double m_best_loss;
    long m_best_epoch = 0;
    long m_epoch = 0;             // epochs done
    double m_seconds_before = 0;  // wall time of the runs this one resumes
    long long m_evaluations = 0;
    Rng m_rng;
    Adam m_adam;
    Lbfgs m_lbfgs;
    std::vector<Column> m_columns;
    std::function<double(const Vec&)> m_score;
    long m_score_from = 0;
    bool m_keep_last = false;
};

} // namespace flowkit::nn
