// The training run behind `slatetrain CONFIG`: the sharded item table, the replicated model
// (a user model and an objective, made by the factories from the configuration: nothing here
// knows either by name), the per-rank loader, the step (lookup -> encode -> objective ->
// backward -> allreduce -> updates), validation, early stopping, checkpoints, the final test
// evaluation beside the popularity baseline, and the summary line. One Trainer per rank;
// every public call is collective.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "core/backend.hpp"
#include "core/communicator.hpp"
#include "data/manifest.hpp"
#include "dist/checkpoint_directory.hpp"
#include "dist/gradient_buckets.hpp"
#include "dist/sharded_embedding.hpp"
#include "launch/evaluator.hpp"
#include "launch/metrics_log.hpp"
#include "launch/run_config.hpp"
#include "launch/run_directory.hpp"
#include "launch/trained_model.hpp"
#include "models/learning_rate_schedule.hpp"
#include "models/model_batch.hpp"
#include "models/optimizer_adam.hpp"
#include "models/recommender_model.hpp"

namespace slatetrain {

class SlateLoader;
class CheckpointFileReader;
struct PreparedBatch;
class StepPhaseClock;

class Trainer {
 public:
  // host: MPI over host buffers (counts, metrics, loader agreement); device_communicator: the
  // collectives on the backend's buffers (the same MPI one on CPU, NCCL on GPU). Rank 0 locks
  // run.dir for the trainer's life and, unless `start` resumes, claims it (launch/run_directory).
  Trainer(const RunConfig& config, Communicator& host, Communicator& device_communicator,
          Backend& backend, RunStart start = RunStart::kFresh);
  ~Trainer();

  // Continues from the newest checkpoint in run.dir if there is one (any world size). Refuses
  // a checkpoint whose name or optimizer state disagree with its header, or (unless
  // data.allow_other_dataset) one of another dataset.
  void resume();
  // Trains to the end (or a stop signal, or early stopping), evaluates (test on the best
  // validation's weights, checkpoints/best.h5, and test_last on the last ones), and on rank 0
  // prints the JSON summary as the last line of stdout. Returns the process exit code.
  int run();

  // Writes a checkpoint of the current state into the rotation (collective).
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
  // Validates; a new best is saved to checkpoints/best.h5.
  MetricMap validate();
  bool stop_requested();
  // Where the run is in its schedule, in this world's steps: the step count with
  // schedule.max_steps, else the position in the data (epoch and batch), which a resume on
  // another world size carries over (the step count does not: a step is W batches).
  int64_t schedule_step() const;
  // Writes the state to `temporary`, then renames it to `final_path` (collective). On failure
  // the temporary is removed and the Error says why first.
  // Returns (rank 0) the checkpoints the rotation removed.
  std::vector<std::string> write_checkpoint(const std::string& temporary,
                                            const std::string& final_path, bool rotate);
  // checkpoints/best.h5 of the current state: a link to this step's checkpoint when there is
  // one, else a write (collective).
  void save_best();
  // Loads the model's weights, and with optimizer_state the optimizers' moments, from the
  // checkpoint rank 0 opened (collective; `reader` is used on rank 0 only).
  void load_state(const CheckpointFileReader* reader, bool optimizer_state);
  // The test metrics of the best validation's weights (best.h5), loading them; nullopt when
  // best.h5 is missing or not of best_step_.
  std::optional<MetricMap> test_best_checkpoint();
  nlohmann::json marker(const char* phase) const;

  RunConfig config_;
  Communicator& host_;
  Communicator& device_communicator_;
  Backend& backend_;
  Manifest manifest_;
  // The table, the model, the evaluator and the click counts; the pointers are into it.
  std::unique_ptr<TrainedModel> trained_;
  ShardedEmbedding* embedding_ = nullptr;
  std::shared_ptr<const std::vector<int64_t>> item_counts_;  // training clicks per item id
  RecommenderModel* model_ = nullptr;
  std::unique_ptr<DenseAdam> dense_optimizer_;
  std::unique_ptr<GradientBuckets> gradient_buckets_;
  LearningRateSchedule dense_schedule_, embedding_schedule_;
  std::unique_ptr<SlateLoader> loader_;
  Evaluator* evaluator_ = nullptr;
  RunStart start_;
  std::unique_ptr<RunDirectoryLock> lock_;  // rank 0
  std::string run_id_, dataset_id_;         // rank 0
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
