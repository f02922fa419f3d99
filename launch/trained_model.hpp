// The parts of a run that evaluation needs, without the run directory: the converted data's
// manifest, the item table sharded over the ranks on the backend, the replicated model (built
// by the factories from the configuration and initialised from run.seed exactly as training
// starts), the evaluator, the training click counts (the popularity baseline's and the
// popularity sampler's), and loading a checkpoint's weights into them. The Trainer builds its
// run on one; `slatetrain evaluate` uses one alone, reading nothing but data.path and the
// checkpoint. Every call is collective.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/backend.hpp"
#include "core/communicator.hpp"
#include "data/manifest.hpp"
#include "dist/sharded_embedding.hpp"
#include "launch/evaluator.hpp"
#include "launch/run_config.hpp"
#include "models/recommender_model.hpp"

namespace slatetrain {

class CheckpointFileReader;

class TrainedModel {
 public:
  // host: MPI over host buffers; device_communicator: the collectives on the backend's
  // buffers (the same MPI one on CPU, NCCL on GPU). `manifest` is config.data.path's.
  TrainedModel(const RunConfig& config, Communicator& host, Communicator& device_communicator,
               Backend& backend, Manifest manifest);
  ~TrainedModel();
  TrainedModel(const TrainedModel&) = delete;
  TrainedModel& operator=(const TrainedModel&) = delete;

  const Manifest& manifest() const { return manifest_; }
  ShardedEmbedding& embedding() { return *embedding_; }
  RecommenderModel& model() { return *model_; }
  Evaluator& evaluator() { return *evaluator_; }
  // Training clicks per item id, counted once over all ranks.
  std::shared_ptr<const std::vector<int64_t>> item_counts() const { return item_counts_; }

  // Loads the checkpoint's dense/`name` (as many floats as the model's dense parameters) into
  // `destination` on the backend. `reader` is rank 0's (unused elsewhere). A count that is not
  // this model's is refused with the file's and the configuration's parameter lists.
  void load_dense(const CheckpointFileReader* reader, const std::string& name, float* destination);
  // Scatters the checkpoint's embedding dataset (`rows` or a row optimizer state) into the
  // table's `table`-th row table, in chunks of checkpoint.chunk_rows rows.
  void load_embedding_table(const CheckpointFileReader* reader, size_t table,
                            const std::string& dataset);
  // The model's weights: dense/parameters and embedding/rows (no optimizer state).
  void load_weights(const CheckpointFileReader* reader);

 private:
  RunConfig config_;
  Communicator& host_;
  Communicator& device_communicator_;
  Backend& backend_;
  Manifest manifest_;
  std::unique_ptr<ShardedEmbedding> embedding_;
  std::unique_ptr<Evaluator> evaluator_;
  std::shared_ptr<const std::vector<int64_t>> item_counts_;
  std::unique_ptr<RecommenderModel> model_;
};

// The dense parameter vector's layout as the checkpoint records it (dense/parameters' `layout`
// attribute, docs/CHECKPOINT.md): a JSON array of {"name", "offset", "shape"} in vector order.
// Empty when it would not fit an HDF5 attribute (64 KiB; a model of several hundred named
// parameters).
std::string parameter_layout(const ParameterBuffer& parameters);

// What a checkpoint must agree with before its weights are loaded into a run of `config` on
// the data of `manifest` (whose identity is `dataset_id`): the item table's shape (item count
// and model.dim), and the dataset (refused unless data.allow_other_dataset; `action` says
// what is refused, e.g. "resume"). Errors name the file and the key.
void require_checkpoint_table(const CheckpointFileReader& reader, const Manifest& manifest,
                              const RunConfig& config);
// The dense parameter vector against this configuration's model: its length, and where the
// checkpoint records its layout, every parameter's name, offset and shape. A mismatch names
// the file, the first parameter that differs and the model.* keys that differ from the
// checkpoint's own configuration.
void require_checkpoint_model(const CheckpointFileReader& reader, const ParameterBuffer& parameters,
                              const RunConfig& config);
void require_checkpoint_dataset(const CheckpointFileReader& reader, const std::string& dataset_id,
                                const RunConfig& config, const char* action);

}  // namespace slatetrain
