// The training run behind `slatetrain CONFIG`: the sharded item table, the replicated GRU
// slate model, the per-rank loader, the step (lookup → forward → backward → allreduce →
// updates), validation, early stopping, checkpoints, the final test evaluation beside the
// popularity baseline, and the summary line. One Trainer per rank; every public call is
// collective.
#pragma once

#include <memory>
#include <string>

#include "core/backend.hpp"
#include "data/manifest.hpp"
#include "dist/checkpoint_directory.hpp"
#include "core/communicator.hpp"
#include "dist/gradient_buckets.hpp"
#include "dist/sharded_embedding.hpp"
#include "launch/evaluator.hpp"
#include "launch/metrics_log.hpp"
#include "launch/run_config.hpp"
#include "models/gru_slate_model.hpp"
#include "models/learning_rate_schedule.hpp"
#include "models/optimizer_adam.hpp"

namespace slatetrain {

class SlateLoader;
struct PreparedBatch;
class StepPhaseClock;

class Trainer {
 public:
  // host: MPI over host buffers (counts, metrics, loader agreement); device_communicator: the
  // collectives on the backend's buffers (the same MPI one on CPU, NCCL on GPU).
  Trainer(const RunConfig& config, Communicator& host, Communicator& device_communicator,
          Backend& backend);
  ~Trainer();

  // Continues from the newest checkpoint in run.dir if there is one (any world size).
  void resume();
  // Trains to the end (or a stop signal, or early stopping), evaluates, and on rank 0 prints
  // the JSON summary as the last line of stdout. Returns the process exit code.
  int run();

  // Writes a checkpoint of the current state (collective).
  void save_checkpoint();

 private:
  struct StepResult {
    double loss = 0;
    int64_t loss_steps = 0;
    int64_t interactions = 0;
    int64_t rows = 0;  // unique item rows this rank's batch needed
  };
  // The model's view of a loader batch for training step `step` (runs on the preparer's
  // thread: reads only the configuration and the manifest).
  ModelBatch prepare_batch(const SequenceBatch& batch, int64_t step) const;
  StepResult train_step(const PreparedBatch& prepared, StepPhaseClock& clock);
  MetricMap validate();
  bool stop_requested();

  RunConfig config_;
  Communicator& host_;
  Communicator& device_communicator_;
  Backend& backend_;
  Manifest manifest_;
  LossKind loss_kind_;
  std::unique_ptr<ShardedEmbedding> embedding_;
  std::unique_ptr<GruSlateModel> model_;
  std::unique_ptr<DenseAdam> dense_optimizer_;
  std::unique_ptr<GradientBuckets> gradient_buckets_;
  LearningRateSchedule dense_schedule_, embedding_schedule_;
  std::unique_ptr<SlateLoader> loader_;
  std::unique_ptr<Evaluator> evaluator_;
  CheckpointDirectory checkpoints_;
  MetricsLog metrics_log_;

  int64_t step_ = 0;
  int64_t epoch_ = 0;
  int64_t batches_into_epoch_ = 0;
  int64_t total_steps_ = 0;
  double best_metric_ = -1e300;
  int64_t best_step_ = -1;
  int64_t validations_without_improvement_ = 0;
  int64_t last_checkpoint_step_ = -1;
};

}  // namespace slatetrain
