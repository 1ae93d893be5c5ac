// What `node-fit` does between its options and its output: build the Neural ODE, fit it to the
// trajectories with the shared training loop (history columns: vector-field evaluations per
// trajectory, forward and backward), and write the model (kind "node"); and reading it back as a
// System for `integrate --field`.
#pragma once

#include "io/model_json.hpp"
#include "models/node_loss.hpp"
#include "models/node_model.hpp"
#include "models/trajectory_data.hpp"
#include "nn/training.hpp"

#include <memory>
#include <optional>
#include <string>

namespace flowkit::models {

struct NodeTrainJob
{
    NodeArchitecture arch;
    TrajectoryData data;
    NodeLossParams loss;
    nn::TrainingParams training;
    std::optional<io::Model> resumed; ///< --resume
};

void run_node_training(const NodeTrainJob& job);

/// The model file of a Neural ODE with parameters theta.
io::Json node_model_json(const NodeArchitecture& arch, const Vec& theta);

/// A node-fit model, or the velocity field of a cnf-sample model, ("-": stdin) for integrate
/// --field.
struct LearnedField
{
    NodeArchitecture arch;
    Vec theta;
    std::unique_ptr<NeuralField> field;
};
LearnedField read_learned_field(const std::string& path);

} // namespace flowkit::models
