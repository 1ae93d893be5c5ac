// What `sympflow-train` does between its options and its output: build the SympFlow, train it
// unsupervised on a Hamiltonian system with the shared loop (the best model on a fixed test set
// from the last 15 % of the epochs, as the paper's code does), and write the model (kind
// "sympflow").
#pragma once

#include "models/sympflow.hpp"
#include "models/sympflow_loss.hpp"
#include "nn/training.hpp"
#include "ode/system.hpp"

#include <optional>

namespace flowkit::models {

struct SympflowTrainJob
{
    SympflowArchitecture arch;
    SympflowLossParams loss;
    nn::TrainingParams training;
    std::optional<io::Model> resumed; ///< --resume
};

/// Trains and writes the model (to job.training.output, or standard output).
void run_sympflow_training(const SympflowTrainJob& job, const ode::System& system);

/// The model file of a SympFlow with parameters theta.
io::Json sympflow_model_json(const Sympflow& net, const ode::System& system, const Vec& theta);

} // namespace flowkit::models
