// What `sympflow-train` does between its options and its output: build the SympFlow, train it
// unsupervised on a Hamiltonian system with the shared loop (the best model on a fixed test set
// from the last 15 % of the epochs, as the paper's code does), and write the model (kind
// "sympflow").
#pragma once

#include "models/flow_samples.hpp"
#include "models/sympflow.hpp"
#include "models/sympflow_loss.hpp"
#include "nn/training.hpp"
#include "io/cli.hpp"
#include "ode/system.hpp"

#include <optional>
#include <string>

namespace flowkit::models {

struct SympflowTrainJob
{
    SympflowArchitecture arch;
    SympflowLossParams loss;
    std::optional<FlowSamples> data; ///< --data: supervised on these samples instead
    Index batch_size = 512;          ///< --data: samples per minibatch
    nn::TrainingParams training;
    std::optional<io::Model> resumed; ///< --resume
};

/// Trains (unsupervised on `system`'s Hamiltonian, or on job.data, when `system` only names the
/// states) and writes the model (to job.training.output, or standard output).
void run_sympflow_training(const SympflowTrainJob& job, const ode::System& system);

/// `sympflow-train hamiltonian`: reads points (the model's state columns, optionally t; other
/// columns are kept) from common.input and writes them with a last column H_N, the network's
/// own Hamiltonian at (t, x) (t = 0 when absent). DataError for a missing state column or a
/// column already named H_N.
void write_hamiltonian(const std::string& model_path, const io::CommonOptions& common);

/// The model file of a SympFlow with parameters theta.
io::Json sympflow_model_json(const Sympflow& net, const ode::System& system, const Vec& theta);

} // namespace flowkit::models
