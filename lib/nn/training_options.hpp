// The options every training tool takes (CLI.md "Training tools"), parsed once here: the
// optimiser, schedule, network shape, history, checkpoints and --resume, which re-reads the
// options recorded in the model so that a resumed run is the run that was stopped.
#pragma once

#include "io/cli.hpp"
#include "io/model_json.hpp"
#include "nn/mlp.hpp"
#include "nn/training.hpp"

#include <optional>
#include <string>
#include <vector>

namespace flowkit::nn {

/// A tool's defaults for the training options.
struct TrainingDefaults
{
    long epochs = 1000;
    double lr = 1e-3;
    std::string optimizer = "adam";
    std::string schedule = "constant";
    double clip = 0;
    std::string hidden = "32,32";
    std::string activation = "tanh";
    /// The L-BFGS share of --epochs that --help names as --lbfgs-epochs' default. The loop takes a
    /// quarter; a tool with another share fills in TrainingParams::lbfgs_epochs itself.
    long lbfgs_share = 4;
};

/// Adds the "Training" group: --epochs --lr --optimizer --schedule --clip --weight-decay
/// --step-every --step-factor --lr-min --lbfgs-epochs --lbfgs-memory --grad-tol --hidden
/// --activation --target-loss --history --log-every --checkpoint-every --resume.
void add_training_options(cxxopts::Options& opts, const TrainingDefaults& defaults);

/// A parsed training command line.
struct TrainingCommandLine
{
    cxxopts::ParseResult args;
    io::CommonOptions common;
    std::optional<io::Model> resumed; ///< the --resume model, of one of the tool's kinds
    io::Json options;                 ///< the options that shape the model, for training.options
};

/// Parses argv as io::parse does. With --resume MODEL, the options recorded in MODEL's
/// training.options are parsed first and the command line's after them; a recorded option given
/// again with another value is a UsageError (a resumed run keeps its options), except --epochs
/// and --target-loss. Options about the invocation (-i, -o, --history, --log-every,
/// --checkpoint-every, --threads, --quiet, --stats, --format, --provenance) are not recorded.
TrainingCommandLine parse_training_command_line(cxxopts::Options& opts, const char* tool,
                                                int argc, char** argv,
                                                const std::vector<std::string>& kinds);

/// The loop's parameters from a parsed command line.
TrainingParams training_params(const TrainingCommandLine& command_line, const char* tool);

/// --hidden "32,32" -> {32, 32}; UsageError unless every width is >= 1.
std::vector<Index> hidden_widths(const cxxopts::ParseResult& args);
/// --activation.
Activation activation_option(const cxxopts::ParseResult& args);

} // namespace flowkit::nn
