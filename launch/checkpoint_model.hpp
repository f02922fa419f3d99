// A saved checkpoint's model, ready to use on the ranks of a launch, for the commands that use a
// trained model without a run directory (`slatetrain evaluate`, `recommend`, `export`): the
// configuration's data and devices, the TrainedModel (the item table re-sharded over any world
// size, the replicated model) with the checkpoint's weights loaded, after every check that the
// checkpoint fits (item table shape, dataset identity, model shape; errors name the file and
// the key). Reads data.path and the checkpoint only; nothing is locked, created or written.
#pragma once

#include <memory>
#include <string>

#include "data/manifest.hpp"
#include "dist/checkpoint_file.hpp"
#include "launch/run_config.hpp"
#include "launch/run_devices.hpp"
#include "launch/trained_model.hpp"

namespace slatetrain {

struct CheckpointModel {
  RunConfig config;
  std::string checkpoint;  // the path as given
  std::string dataset_id;  // data.path's identity (launch/dataset_identity.hpp)
  CheckpointHeader header;
  std::unique_ptr<RunDevices> devices;
  std::unique_ptr<TrainedModel> trained;
};

// A checkpoint opened and checked against the configuration's data (item table shape, dataset
// identity) before anything is built. `action` names what a refusal refuses ("evaluate",
// "recommend", "export", "index").
struct CheckedCheckpoint {
  Manifest manifest;
  std::string dataset_id;  // data.path's identity (launch/dataset_identity.hpp)
  std::unique_ptr<CheckpointFileReader> reader;
};
CheckedCheckpoint open_checked_checkpoint(const RunConfig& config, const std::string& checkpoint,
                                          const char* action);

enum class LoadWeights { kYes, kNo };

// Collective. Every rank opens and checks the checkpoint (so that a refusal ends every rank
// alike, exit code 1), rank 0 reads the weights into the table and the model; with
// LoadWeights::kNo the model is built and checked against the checkpoint but its weights stay
// in the file (for a command that reads them itself, as export does).
std::unique_ptr<CheckpointModel> load_checkpoint_model(const RunConfig& config,
                                                       const std::string& checkpoint,
                                                       const char* action,
                                                       LoadWeights weights = LoadWeights::kYes);

}  // namespace slatetrain
