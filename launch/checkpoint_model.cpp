#include "launch/checkpoint_model.hpp"

#include <filesystem>
#include <mutex>
#include <system_error>
#include <utility>

#include "core/error.hpp"
#include "data/hdf5_library_mutex.hpp"
#include "launch/dataset_identity.hpp"

namespace slatetrain {

CheckedCheckpoint open_checked_checkpoint(const RunConfig& config, const std::string& checkpoint,
                                          const char* action) {
  CheckedCheckpoint checked{Manifest::load(config.data.path), {}, {}};
  checked.dataset_id = dataset_identity(checked.manifest, config.data.path);
  std::error_code error;
  REQUIRE(std::filesystem::is_regular_file(checkpoint, error),
          checkpoint << ": no such checkpoint file (--checkpoint)");
  std::lock_guard<std::mutex> lock(hdf5_library_mutex());
  checked.reader = std::make_unique<CheckpointFileReader>(checkpoint);
  require_checkpoint_table(*checked.reader, checked.manifest, config);
  require_checkpoint_dataset(*checked.reader, checked.dataset_id, config, action);
  return checked;
}

std::unique_ptr<CheckpointModel> load_checkpoint_model(const RunConfig& config,
                                                       const std::string& checkpoint,
                                                       const char* action, LoadWeights weights) {
  auto loaded = std::make_unique<CheckpointModel>();
  loaded->config = config;
  loaded->checkpoint = checkpoint;
  CheckedCheckpoint checked = open_checked_checkpoint(config, checkpoint, action);
  loaded->dataset_id = checked.dataset_id;
  Manifest& manifest = checked.manifest;
  std::unique_ptr<CheckpointFileReader>& reader = checked.reader;
  loaded->devices = std::make_unique<RunDevices>(config);
  RunDevices& devices = *loaded->devices;
  // A checkpoint's rows are written caught up with the item prior (docs/ITEM_PRIOR.md), so using
  // them needs no prior: none is built (no items.h5 read, no pass over the table).
  RunConfig model_config = config;
  model_config.prior.kind = "none";
  loaded->trained =
      std::make_unique<TrainedModel>(model_config, devices.host(), devices.device_communicator(),
                                     devices.backend(), std::move(manifest));
  {
    std::lock_guard<std::mutex> lock(hdf5_library_mutex());
    require_checkpoint_model(*reader, loaded->trained->model().parameters(), config);
  }
  if (weights == LoadWeights::kYes) loaded->trained->load_weights(reader.get());
  loaded->header = reader->header();
  return loaded;
}

}  // namespace slatetrain
