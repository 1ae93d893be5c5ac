// What the subcommands of `cnf-sample` do between their options and their output (CLI.md
// "cnf-sample"): train a flow (maximum likelihood or flow matching) and write the model (kind
// "cnf"); draw samples and paths; write log-densities; write the toy data sets; and measure the
// energy distance between two samples.
#pragma once

#include "io/cli.hpp"
#include "io/model_json.hpp"
#include "models/cnf_likelihood.hpp"
#include "models/cnf_matching.hpp"
#include "models/cnf_model.hpp"
#include "nn/training.hpp"

#include <optional>
#include <string>
#include <vector>

namespace flowkit::models {

enum class CnfObjective
{
    fm, ///< flow matching
    mle ///< maximum likelihood
};
/// "fm", "mle"; UsageError naming --objective otherwise.
CnfObjective parse_cnf_objective(const std::string& name);

/// Points, one per row, from the columns `names` (empty: every column that is not reserved);
/// names is set to the columns read.
Mat read_points(io::TableReader& reader, std::vector<std::string>& names);

struct CnfTrainJob
{
    CnfArchitecture arch;
    Mat data;
    CnfObjective objective = CnfObjective::fm;
    CnfLikelihoodParams likelihood;
    CnfMatchingParams matching;
    nn::TrainingParams training;
    std::optional<io::Model> resumed; ///< --resume
};
void run_cnf_training(const CnfTrainJob& job);

io::Json cnf_model_json(const CnfArchitecture& arch, const Vec& theta);

/// A cnf-sample model ("-": stdin).
struct CnfModel
{
    CnfArchitecture arch;
    Vec theta;
};
CnfModel read_cnf_model(const std::string& path);

struct CnfSampleJob
{
    std::string model;
    Index count = 1000;
    ode::SolverSettings solver;  ///< steps_per_interval: steps over [0, 1]
    bool path = false;           ///< every step (fixed-step methods) or steps_per_interval
                                 ///< equal output intervals (dopri5), with traj and t
    nn::Precision precision = nn::Precision::double_precision;
    io::CommonOptions common;
};
void write_samples(const CnfSampleJob& job);

struct CnfLogDensityJob
{
    std::string model;
    ode::SolverSettings solver; ///< steps_per_interval: steps over [0, 1]
    TraceEstimator trace = TraceEstimator::exact;
    ProbeDistribution probe = ProbeDistribution::rademacher;
    nn::Precision precision = nn::Precision::double_precision;
    io::CommonOptions common;
};
void write_log_density(const CnfLogDensityJob& job);

void write_toy_dataset(const std::string& name, Index count, const io::CommonOptions& common);

/// The energy distance between the points of common.input and of `other`, over the columns
/// `names` (empty: the input's columns that are not reserved), as a one-row table.
void write_energy_distance(const std::string& other, std::vector<std::string> names,
                           const io::CommonOptions& common);

} // namespace flowkit::models
