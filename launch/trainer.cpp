#include "launch/trainer.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>

#include <unistd.h>

#include "core/cpu/openblas_kernels.hpp"
#include "core/error.hpp"
#include "core/progress.hpp"
#include "core/random.hpp"
#include "data/hdf5_library_mutex.hpp"
#include "data/slate_loader.hpp"
#include "dist/checkpoint_file.hpp"
#include "launch/batch_preparer.hpp"
#include "launch/dataset_identity.hpp"
#include "launch/step_phases.hpp"
#include "launch/stop_signal.hpp"
#include "models/gradient_clipping.hpp"

namespace slatetrain {

namespace {

// Streams of the run's seed, so that each use draws independently.
constexpr uint64_t kNegativeStream = 0x6e6567;      // "neg": the objective's draws
constexpr uint64_t kDropoutStream = 0x64726f70;     // "drop"
constexpr uint64_t kLoaderStream = 0x6c6f61646572;  // "loader"

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

LearningRateSchedule make_schedule(double base, const ScheduleConfig& schedule,
                                   int64_t total_steps) {
  LearningRateSchedule result;
  result.base = static_cast<float>(base);
  result.warmup_steps = std::min(schedule.warmup_steps, total_steps);
  result.total_steps = total_steps;
  result.decay = schedule.decay == "constant" ? LearningRateDecay::kNone
                                              : parse_learning_rate_decay(schedule.decay);
  result.floor_fraction = static_cast<float>(schedule.min_learning_rate_fraction);
  result.validate();
  return result;
}

nlohmann::json to_json(const MetricMap& metrics) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [name, value] : metrics) out[name] = value;
  return out;
}

// Milliseconds per step of each phase over the `steps` steps between two readings of the
// clock's totals.
nlohmann::json phase_milliseconds(const StepPhaseSeconds& totals, const StepPhaseSeconds& since,
                                  int64_t steps) {
  nlohmann::json out = nlohmann::json::object();
  for (size_t phase = 0; phase < kStepPhaseCount; ++phase) {
    const double seconds = totals[phase] - since[phase];
    out[kStepPhaseNames[phase]] = steps > 0 ? 1e3 * seconds / static_cast<double>(steps) : 0.0;
  }
  return out;
}

// Host copy of a device buffer of floats.
std::vector<float> download(Backend& backend, const float* data, int64_t count) {
  std::vector<float> host(static_cast<size_t>(count));
  if (count > 0) backend.copy_to_host(host.data(), data, host.size() * sizeof(float));
  return host;
}

}  // namespace

Trainer::Trainer(const RunConfig& config, Communicator& host, Communicator& device_communicator,
                 Backend& backend, RunStart start)
    : config_(config),
      host_(host),
      device_communicator_(device_communicator),
      backend_(backend),
      manifest_(Manifest::load(config.data.path)),
      start_(start),
      checkpoints_(config.run.dir, config.checkpoint.keep) {
  const uint64_t seed = config_.run.seed;
  std::string moved_aside;
  if (host_.rank() == 0) {
    // Before anything is written to run.dir: one run at a time, and a fresh run owns it.
    lock_ = std::make_unique<RunDirectoryLock>(config_.run.dir);
    if (start_ != RunStart::kResume) {
      moved_aside =
          claim_run_directory(config_.run.dir, checkpoints_, start_ == RunStart::kOverwrite);
    }
    run_id_ = new_run_id();
    dataset_id_ = dataset_identity(manifest_, config_.data.path);
  }

  trained_ =
      std::make_unique<TrainedModel>(config_, host_, device_communicator_, backend_, manifest_);
  embedding_ = &trained_->embedding();
  evaluator_ = &trained_->evaluator();
  item_counts_ = trained_->item_counts();
  model_ = &trained_->model();

  AdamOptions adam;
  adam.beta1 = static_cast<float>(config_.dense_optimizer.beta1);
  adam.beta2 = static_cast<float>(config_.dense_optimizer.beta2);
  adam.epsilon = static_cast<float>(config_.dense_optimizer.epsilon);
  adam.weight_decay = static_cast<float>(config_.dense_optimizer.weight_decay);
  adam.decoupled = config_.dense_optimizer.kind == "adamw";
  auto& parameters = model_->parameters();
  dense_optimizer_ = std::make_unique<DenseAdam>(backend_, parameters.size(), adam);
  gradient_buckets_ = std::make_unique<GradientBuckets>(
      device_communicator_, backend_,
      std::vector<GradientSpan>{{parameters.gradients(), parameters.size()}});

  LoaderOptions loader;
  loader.directory = config_.data.path;
  loader.phase = LoaderPhase::kTrain;
  loader.batch_users = config_.schedule.batch_users;
  loader.seed = hash_mix(seed, kLoaderStream);
  loader.prefetch_batches = config_.loader.prefetch_batches;
  loader.window_steps = config_.model.max_length;
  loader_ = std::make_unique<SlateLoader>(loader, &host_);
  REQUIRE(loader_->batches_per_epoch() > 0,
          config_.data.path << ": no training users in the converted data");
  total_steps_ = config_.schedule.max_steps > 0
                     ? config_.schedule.max_steps
                     : config_.schedule.epochs * loader_->batches_per_epoch();
  dense_schedule_ =
      make_schedule(config_.dense_optimizer.learning_rate, config_.schedule, total_steps_);
  embedding_schedule_ =
      make_schedule(config_.embedding_optimizer.learning_rate, config_.schedule, total_steps_);

  if (host_.rank() == 0) {
    std::error_code error;
    std::filesystem::create_directories(config_.run.dir, error);
    REQUIRE(!error, config_.run.dir << ": cannot create the run directory: " << error.message());
    std::ofstream(std::filesystem::path(config_.run.dir) / "config.yaml") << config_.yaml;
    metrics_log_.open((std::filesystem::path(config_.run.dir) / "metrics.jsonl").string());
    if (!moved_aside.empty()) {
      std::fprintf(stderr, "slatetrain: --overwrite: the previous run's files moved to %s\n",
                   moved_aside.c_str());
    }
    if (start_ != RunStart::kResume) {
      nlohmann::json record = marker("start");
      record["mode"] = start_ == RunStart::kOverwrite ? "overwrite" : "fresh";
      if (!moved_aside.empty()) record["moved_aside"] = moved_aside;
      metrics_log_.write(record);
    }
    std::fprintf(
        stderr,
        "slatetrain: %d rank(s) on %s (OpenBLAS %s kernels), %lld users, %lld items, %lld "
        "interactions; "
        "%lld batches of %lld users per rank per epoch, %lld steps; %lld dense "
        "parameters, table %lld x %d sharded by item %% %d\n",
        host_.world_size(), backend_.name().c_str(), cpu::openblas_core_name().c_str(),
        static_cast<long long>(manifest_.num_users), static_cast<long long>(manifest_.num_items),
        static_cast<long long>(manifest_.num_interactions),
        static_cast<long long>(loader_->batches_per_epoch()),
        static_cast<long long>(config_.schedule.batch_users), static_cast<long long>(total_steps_),
        static_cast<long long>(parameters.size()), static_cast<long long>(manifest_.num_items),
        config_.model.dim, host_.world_size());
  }
}

Trainer::~Trainer() = default;

nlohmann::json Trainer::marker(const char* phase) const {
  return {{"phase", phase},           {"step", step_},
          {"run_id", run_id_},        {"world_size", host_.world_size()},
          {"host", host_name()},      {"pid", static_cast<long>(::getpid())},
          {"time", utc_time_text()},  {"data", config_.data.path},
          {"dataset_id", dataset_id_}};
}

int64_t Trainer::schedule_step() const {
  if (config_.schedule.max_steps > 0) return step_;
  return epoch_ * loader_->batches_per_epoch() + batches_into_epoch_;
}

bool Trainer::stop_requested() {
  // Every rank must leave at the same step: agree on whether any rank got the signal.
  const int64_t local = stop_signal_received() ? 1 : 0;
  return host_.allreduce_value<int64_t>(local, ReduceOp::kMax) > 0;
}

ModelBatch Trainer::prepare_batch(const SequenceBatch& batch, int64_t step) const {
  return build_model_batch(batch, model_->input_options(), &model_->objective(),
                           hash_mix(config_.run.seed, kNegativeStream, step));
}

Trainer::StepResult Trainer::train_step(const PreparedBatch& prepared, StepPhaseClock& clock) {
  const SequenceBatch& batch = prepared.batch;
  const ModelBatch& model_batch = prepared.model_batch;
  const SequenceInputs inputs = model_batch.sequence_inputs();

  Tensor rows;
  const RowExchange exchange = embedding_->lookup_unique(model_batch.unique_ids, rows);
  clock.end(StepPhase::kLookup);
  auto& parameters = model_->parameters();
  UserModel& user_model = model_->user_model();
  Objective& objective = model_->objective();
  parameters.zero_gradients();
  EncodeContext context;
  context.training = true;
  context.dropout_seed = hash_mix(config_.run.seed, kDropoutStream, step_);
  const float* user = user_model.encode(inputs, rows.data<float>(), context);
  const double loss_sum =
      objective.forward(*model_batch.objective, user, rows.data<float>(), inputs.num_rows);

  // The loss is normalised by the global count of loss steps, so W ranks with batch B make
  // the update one rank makes with batch W*B.
  double totals[3] = {loss_sum, static_cast<double>(model_batch.loss_steps()),
                      static_cast<double>(batch.real_steps)};
  host_.allreduce(totals, 3, ElementType::kFloat64, ReduceOp::kSum);
  StepResult result;
  result.loss_steps = static_cast<int64_t>(totals[1]);
  result.loss = result.loss_steps > 0 ? totals[0] / totals[1] : 0.0;
  result.interactions = static_cast<int64_t>(totals[2]);
  result.rows = static_cast<int64_t>(model_batch.unique_ids.size());
  clock.end(StepPhase::kForward);

  const int64_t dim = config_.model.dim;
  Tensor drows(backend_, {inputs.num_rows, dim}, DType::kFloat32);
  drows.zero();
  Tensor duser(backend_, {inputs.steps(), dim}, DType::kFloat32);
  const float scale = result.loss_steps > 0 ? 1.0f / static_cast<float>(totals[1]) : 0.0f;
  objective.backward(duser.data<float>(), drows.data<float>(), scale);
  user_model.backward(drows.data<float>(), duser.data<float>());
  clock.end(StepPhase::kBackward);
  gradient_buckets_->allreduce_sum();
  clip_gradient_norm(backend_, {{parameters.gradients(), parameters.size()}},
                     config_.schedule.gradient_clip);
  clock.end(StepPhase::kAllreduce);
  // The rate of the position in the schedule (the step count on one world size).
  const int64_t position = schedule_step();
  dense_optimizer_->step(parameters.values(), parameters.gradients(), dense_schedule_.at(position));
  embedding_->backward_and_update(exchange, drows.data<float>(), embedding_schedule_.at(position));
  clock.end(StepPhase::kUpdate);
  return result;
}

MetricMap Trainer::validate() {
  const double start = now_seconds();
  MetricMap metrics = evaluator_->evaluate_model(*model_, LoaderPhase::kValid);
  nlohmann::json record = {
      {"phase", "valid"}, {"step", step_}, {"epoch", epoch_}, {"seconds", now_seconds() - start}};
  record["metrics"] = to_json(metrics);
  metrics_log_.write(record);
  const auto found = metrics.find(config_.evaluation.metric);
  REQUIRE(found != metrics.end(), "validation has no metric '" << config_.evaluation.metric << "'");
  if (found->second > best_metric_) {
    best_metric_ = found->second;
    best_step_ = step_;
    validations_without_improvement_ = 0;
    save_best();
  } else {
    ++validations_without_improvement_;
  }
  if (host_.rank() == 0) {
    if (best_step_ >= 0) {
      std::fprintf(stderr, "slatetrain: step %lld validation %s %.5f (best %.5f at step %lld)\n",
                   static_cast<long long>(step_), config_.evaluation.metric.c_str(), found->second,
                   best_metric_, static_cast<long long>(best_step_));
    } else {
      // NaN: a split without users (the evaluator warned); it never becomes the best.
      std::fprintf(stderr, "slatetrain: step %lld validation %s undefined (no best yet)\n",
                   static_cast<long long>(step_), config_.evaluation.metric.c_str());
    }
  }
  return metrics;
}

int Trainer::run() {
  const double wall_start = now_seconds();
  const bool root = host_.rank() == 0;
  Progress progress("train", total_steps_, "steps");
  progress.set_enabled(root);
  double train_seconds = 0, window_seconds = 0, window_loss = 0;
  int64_t interactions = 0, window_interactions = 0, window_steps = 0, window_rows = 0;
  bool stopped_by_signal = false, stopped_early = false;
  MetricMap last_validation;
  const int64_t first_step = step_;

  // The loader decodes batches ahead on its thread; the preparer builds the model's view of
  // the next one while the current step runs.
  BatchPreparer preparer(
      [this](const SequenceBatch& batch, int64_t step) { return prepare_batch(batch, step); });
  StepPhaseClock clock(backend_, config_.logging.phase_timing);
  StepPhaseSeconds phases_at_last_log{};  // the clock's totals at the last metrics line
  SequenceBatch spare;                    // the loader's next buffers
  while (schedule_step() < total_steps_ && !stopped_by_signal && !stopped_early) {
    loader_->start_epoch(epoch_, batches_into_epoch_);
    preparer.discard();
    if (loader_->next(spare)) preparer.submit(std::move(spare), step_);
    bool epoch_over = false;
    while (schedule_step() < total_steps_) {
      if (stop_requested()) {
        stopped_by_signal = true;
        break;
      }
      const double step_start = now_seconds();
      clock.start();
      if (!preparer.pending()) {
        epoch_over = true;
        break;
      }
      PreparedBatch current = preparer.take();
      // Hand the next batch to the preparer before this step's work (not past the last step,
      // so the loader's position stays that of the steps taken).
      if (schedule_step() + 1 < total_steps_ && loader_->next(spare)) {
        preparer.submit(std::move(spare), step_ + 1);
      }
      clock.end(StepPhase::kBatch);
      const StepResult result = train_step(current, clock);
      spare = std::move(current.batch);
      ++step_;
      ++batches_into_epoch_;
      const double seconds = now_seconds() - step_start;
      train_seconds += seconds;
      window_seconds += seconds;
      interactions += result.interactions;
      window_interactions += result.interactions;
      window_loss += result.loss;
      window_rows += result.rows;
      ++window_steps;
      const double rate = window_seconds > 0 ? window_interactions / window_seconds : 0.0;
      char extra[128];
      std::snprintf(extra, sizeof extra, "epoch %lld loss %.4f %s interactions/s",
                    static_cast<long long>(epoch_), result.loss, human_count(rate).c_str());
      progress.update(step_, extra);
      if (step_ % config_.logging.metrics_every_steps == 0 || schedule_step() == total_steps_) {
        metrics_log_.write(
            {{"phase", "train"},
             {"step", step_},
             {"epoch", epoch_},
             {"loss", window_loss / std::max<int64_t>(1, window_steps)},
             {"learning_rate", dense_schedule_.at(schedule_step() - 1)},
             {"interactions_per_s", rate},
             {"loader_wait_s", loader_->stats().wait_seconds},
             {"rows_per_step", window_rows / std::max<int64_t>(1, window_steps)},
             {"step_ms", phase_milliseconds(clock.seconds(), phases_at_last_log, window_steps)}});
        window_seconds = window_loss = 0;
        window_interactions = window_steps = window_rows = 0;
        phases_at_last_log = clock.seconds();
      }
      if (config_.evaluation.every_steps > 0 && step_ % config_.evaluation.every_steps == 0 &&
          schedule_step() < total_steps_) {
        last_validation = validate();
        if (config_.evaluation.patience > 0 &&
            validations_without_improvement_ >= config_.evaluation.patience) {
          stopped_early = true;
          break;
        }
      }
      if (config_.checkpoint.every_steps > 0 && step_ % config_.checkpoint.every_steps == 0) {
        save_checkpoint();
      }
    }
    if (epoch_over) {
      ++epoch_;
      batches_into_epoch_ = 0;
    }
  }
  progress.finish();

  nlohmann::json summary;
  summary["steps"] = step_;
  summary["epochs"] =
      static_cast<double>(epoch_) +
      static_cast<double>(batches_into_epoch_) / static_cast<double>(loader_->batches_per_epoch());
  summary["world_size"] = host_.world_size();
  summary["device"] = backend_.name();
  summary["openblas_kernels"] = cpu::openblas_core_name();
  summary["interactions_per_s"] = train_seconds > 0 ? interactions / train_seconds : 0.0;
  summary["interactions"] = interactions;
  summary["loader_wait_s"] = loader_->stats().wait_seconds;
  summary["prepare_s"] = preparer.busy_seconds();
  summary["step_ms"] = phase_milliseconds(clock.seconds(), StepPhaseSeconds{}, step_ - first_step);
  summary["phase_timing_synchronized"] = config_.logging.phase_timing;

  if (stopped_by_signal) {
    // Preempted: save where we are and leave cleanly; a --resume run continues from here.
    if (root) {
      std::fprintf(stderr, "slatetrain: signal %d received: checkpoint at step %lld, exiting\n",
                   stop_signal_number(), static_cast<long long>(step_));
    }
    save_checkpoint();
    summary["status"] = "preempted";
  } else {
    if (root && stopped_early) {
      std::fprintf(stderr,
                   "slatetrain: early stop at step %lld (%s did not improve for %d "
                   "validations)\n",
                   static_cast<long long>(step_), config_.evaluation.metric.c_str(),
                   config_.evaluation.patience);
    }
    if (last_checkpoint_step_ != step_) save_checkpoint();
    summary["valid"] = to_json(validate());  // the last weights (a new best is saved)
    double start = now_seconds();
    const MetricMap test_last = evaluator_->evaluate_model(*model_, LoaderPhase::kTest);
    summary["test_last"] = to_json(test_last);
    // `test` is the model evaluation.metric selects: the best validation's weights.
    std::optional<MetricMap> test_best;
    const bool has_best = best_step_ >= 0;  // false when validation never had a value
    if (has_best && best_step_ != step_) test_best = test_best_checkpoint();
    summary["test"] = to_json(test_best ? *test_best : test_last);
    summary["evaluation_s"] = now_seconds() - start;
    start = now_seconds();
    summary["popularity"] =
        to_json(evaluator_->evaluate_popularity(*item_counts_, LoaderPhase::kTest));
    summary["popularity_valid"] =
        to_json(evaluator_->evaluate_popularity(*item_counts_, LoaderPhase::kValid));
    summary["popularity_s"] = now_seconds() - start;
    const bool from_best = has_best && (test_best.has_value() || best_step_ == step_);
    summary["best"] = {{"metric", config_.evaluation.metric},
                       {"value", has_best ? nlohmann::json(best_metric_) : nlohmann::json(nullptr)},
                       {"step", has_best ? nlohmann::json(best_step_) : nlohmann::json(nullptr)},
                       {"checkpoint", from_best ? nlohmann::json(checkpoints_.best_path())
                                                : nlohmann::json(nullptr)},
                       {"test_from", from_best ? "best" : "last"}};
    summary["status"] = stopped_early ? "early_stopped" : "finished";
  }
  summary["wall_s"] = now_seconds() - wall_start;
  if (root) {
    nlohmann::json record = summary;
    record["phase"] = "summary";
    metrics_log_.write(record);
    std::ofstream(std::filesystem::path(config_.run.dir) / "summary.json")
        << summary.dump(2) << "\n";
    std::printf("%s\n", summary.dump().c_str());
    std::fflush(stdout);
  }
  return 0;
}

// ---- checkpoints --------------------------------------------------------------------------

void Trainer::save_checkpoint() {
  const double start = now_seconds();
  const std::string final_path = checkpoints_.final_path(step_);
  const auto removed = write_checkpoint(checkpoints_.temporary_path(step_), final_path, true);
  if (host_.rank() == 0) {
    metrics_log_.write({{"phase", "checkpoint"},
                        {"step", step_},
                        {"path", final_path},
                        {"removed", removed},  // by the rotation: the run's own older ones
                        {"seconds", now_seconds() - start}});
    metrics_log_.sync();  // the log is durable up to the checkpoint it names
  }
  last_checkpoint_step_ = step_;
}

void Trainer::save_best() {
  int64_t linked = 0;
  if (host_.rank() == 0 && last_checkpoint_step_ == step_) {
    linked = checkpoints_.link_as_best(checkpoints_.final_path(step_)) ? 1 : 0;
  }
  host_.broadcast(&linked, 1, 0);
  if (!linked)
    write_checkpoint(checkpoints_.best_temporary_path(), checkpoints_.best_path(), false);
}

std::vector<std::string> Trainer::write_checkpoint(const std::string& temporary,
                                                   const std::string& final_path, bool rotate) {
  std::vector<std::string> removed;
  const bool root = host_.rank() == 0;
  auto& parameters = model_->parameters();
  std::unique_ptr<CheckpointFileWriter> writer;
  const auto table_names = embedding_->row_table_names();
  std::vector<std::string> datasets{"rows"};
  datasets.insert(datasets.end(), table_names.begin() + 1, table_names.end());
  try {
    if (root) {
      checkpoints_.prepare();
      std::lock_guard<std::mutex> lock(hdf5_library_mutex());
      writer = std::make_unique<CheckpointFileWriter>(
          temporary, manifest_.num_items, config_.model.dim,
          std::vector<std::string>(datasets.begin() + 1, datasets.end()));
      writer->write_dense("parameters", download(backend_, parameters.values(), parameters.size()),
                          parameter_layout(parameters));
      writer->write_dense("first_moment", dense_optimizer_->first_moment().to_host<float>());
      writer->write_dense("second_moment", dense_optimizer_->second_moment().to_host<float>());
      if (const ItemPrior* prior = embedding_->prior()) {
        // Replicated: rank 0's copy is everyone's (docs/ITEM_PRIOR.md).
        writer->write_dense("prior_group_vectors", prior->group_vectors());
        writer->write_dense("prior_group_scales", prior->group_scales());
      }
    }
    for (size_t table = 0; table < datasets.size(); ++table) {
      embedding_->collect_rows(
          table,
          [&](int64_t first_item, int64_t count, const float* rows) {
            std::lock_guard<std::mutex> lock(hdf5_library_mutex());
            writer->write_embedding_rows(datasets[table], first_item, count, rows);
          },
          config_.checkpoint.chunk_rows);
    }
    if (root) {
      CheckpointHeader header;
      header.step = step_;
      header.epoch = epoch_;
      header.batches_into_epoch = batches_into_epoch_;
      header.batches_per_epoch = loader_->batches_per_epoch();
      header.world_size = host_.world_size();
      header.seed = config_.run.seed;
      header.config_yaml = config_.yaml;
      header.run_id = run_id_;
      header.dataset_id = dataset_id_;
      header.dataset_path = config_.data.path;
      header.dense_step = dense_optimizer_->step_count();
      header.embedding_step = embedding_->optimizer().step_count();
      header.best_metric = best_metric_;
      header.best_step = best_step_;
      header.validations_without_improvement = validations_without_improvement_;
      {
        std::lock_guard<std::mutex> lock(hdf5_library_mutex());
        writer->finish(header);
      }
      removed = checkpoints_.commit(temporary, final_path, rotate);
    }
  } catch (const std::exception& failure) {
    if (!root) throw;
    // A failed write (a full disk) leaves nothing behind: the temporary would keep the disk
    // full and the next run would fail at once. The job ends here (the other ranks wait in the
    // next collective): say why, first and once.
    {
      std::lock_guard<std::mutex> lock(hdf5_library_mutex());
      writer.reset();
    }
    checkpoints_.discard(temporary);
    RAISE("cannot write the checkpoint " << final_path << ": " << failure.what()
                                         << "; the partial file " << temporary << " was removed");
  }
  host_.barrier();
  return removed;
}

void Trainer::load_state(const CheckpointFileReader* reader, bool optimizer_state) {
  if (!optimizer_state) {
    trained_->load_weights(reader);
    return;
  }
  trained_->load_dense(reader, "parameters", model_->parameters().values());
  trained_->load_dense(reader, "first_moment", dense_optimizer_->first_moment().data<float>());
  trained_->load_dense(reader, "second_moment", dense_optimizer_->second_moment().data<float>());
  const auto table_names = embedding_->row_table_names();
  for (size_t table = 0; table < table_names.size(); ++table) {
    trained_->load_embedding_table(reader, table, table == 0 ? "rows" : table_names[table]);
  }
  if (ItemPrior* prior = embedding_->prior()) {
    // The group state as saved (the rows were saved flushed: nothing is behind).
    std::vector<float> vectors(prior->group_vectors().size());
    std::vector<float> scales(prior->group_scales().size());
    if (host_.rank() == 0) {
      std::lock_guard<std::mutex> lock(hdf5_library_mutex());
      const auto names = reader->dense_names();
      REQUIRE(std::find(names.begin(), names.end(), "prior_group_vectors") != names.end() &&
                  std::find(names.begin(), names.end(), "prior_group_scales") != names.end(),
              reader->path() << ": no dense/prior_group_vectors and prior_group_scales: written "
                                "without the item prior (prior.kind "
                             << config_.prior.kind << " here); cannot resume it with one");
      const std::vector<float> saved_vectors = reader->read_dense("prior_group_vectors");
      const std::vector<float> saved_scales = reader->read_dense("prior_group_scales");
      REQUIRE(saved_vectors.size() == vectors.size() && saved_scales.size() == scales.size(),
              reader->path() << ": dense/prior_group_vectors and prior_group_scales hold "
                             << saved_vectors.size() << " and " << saved_scales.size()
                             << " values, this prior " << vectors.size() << " and " << scales.size()
                             << " (another grouping or model.dim?)");
      vectors = saved_vectors;
      scales = saved_scales;
    }
    host_.broadcast(vectors.data(), vectors.size(), 0);
    host_.broadcast(scales.data(), scales.size(), 0);
    prior->set_group_state(std::move(vectors), std::move(scales));
  }
}

std::optional<MetricMap> Trainer::test_best_checkpoint() {
  const bool root = host_.rank() == 0;
  std::unique_ptr<CheckpointFileReader> reader;
  int64_t usable = 0;
  if (root) {
    const std::string path = checkpoints_.best_path();
    std::error_code error;
    if (!std::filesystem::is_regular_file(path, error)) {
      std::fprintf(stderr, "slatetrain: no %s (best step %lld): test is the last weights'\n",
                   path.c_str(), static_cast<long long>(best_step_));
    } else {
      std::lock_guard<std::mutex> lock(hdf5_library_mutex());
      reader = std::make_unique<CheckpointFileReader>(path);
      if (reader->header().step == best_step_) {
        usable = 1;
      } else {
        std::fprintf(stderr,
                     "slatetrain: %s holds step %lld, not the best step %lld: test is the last "
                     "weights'\n",
                     path.c_str(), static_cast<long long>(reader->header().step),
                     static_cast<long long>(best_step_));
      }
    }
  }
  host_.broadcast(&usable, 1, 0);
  if (!usable) return std::nullopt;
  load_state(reader.get(), false);
  return evaluator_->evaluate_model(*model_, LoaderPhase::kTest);
}

void Trainer::resume() {
  const bool root = host_.rank() == 0;
  std::unique_ptr<CheckpointFileReader> reader;
  int64_t found = 0;
  if (root) {
    const auto newest = checkpoints_.newest();
    if (newest) {
      std::lock_guard<std::mutex> lock(hdf5_library_mutex());
      // A damaged newest checkpoint is refused here, with its name, never half-loaded.
      reader = std::make_unique<CheckpointFileReader>(*newest);
      const CheckpointHeader& header = reader->header();
      require_checkpoint_table(*reader, manifest_, config_);
      // The header against the file's name and its own data: every step is one update of
      // both optimizers.
      const int64_t named = CheckpointDirectory::step_of_name(*newest);
      REQUIRE(named == header.step, *newest << ": damaged checkpoint: its name says step " << named
                                            << ", its header step " << header.step
                                            << "; refusing it");
      REQUIRE(header.dense_step == header.step && header.embedding_step == header.step,
              *newest << ": damaged checkpoint: its header says step " << header.step
                      << ", its optimizer states were saved after " << header.dense_step
                      << " (dense/step) and " << header.embedding_step
                      << " (embedding/step) updates; refusing it");
      require_checkpoint_dataset(*reader, dataset_id_, config_, "resume");
      // The resumed run is the same run: it keeps its identity and owns its earlier
      // checkpoints (the rotation removes them in turn, and nothing else).
      if (!header.run_id.empty()) run_id_ = header.run_id;
      for (const auto& [step, path] : checkpoints_.list()) {
        if (path == *newest) {
          checkpoints_.adopt(path);
          continue;
        }
        try {
          if (CheckpointFileReader(path).header().run_id == header.run_id) {
            checkpoints_.adopt(path);
          }
        } catch (const Error&) {
          // Unreadable: not provably the run's, so never rotated away.
        }
      }
      found = 1;
    } else {
      std::fprintf(stderr, "slatetrain: --resume: no checkpoint in %s, starting fresh\n",
                   checkpoints_.path().c_str());
      // A fresh start all the same: never over another run's best.h5.
      claim_run_directory(config_.run.dir, checkpoints_, false);
      nlohmann::json record = marker("start");
      record["mode"] = "resume found no checkpoint";
      metrics_log_.write(record);
    }
  }
  host_.broadcast(&found, 1, 0);
  if (!found) return;

  // The header's numbers, then the state, from rank 0 to everyone.
  int64_t numbers[10] = {};
  double best_metric = 0;
  if (root) {
    const auto& header = reader->header();
    numbers[0] = header.step;
    numbers[1] = header.epoch;
    numbers[2] = header.batches_into_epoch;
    numbers[3] = header.batches_per_epoch;
    numbers[4] = header.world_size;
    numbers[5] = header.dense_step;
    numbers[6] = header.embedding_step;
    numbers[7] = header.best_step;
    numbers[8] = header.validations_without_improvement;
    best_metric = header.best_metric;
  }
  host_.broadcast(numbers, 10, 0);
  host_.broadcast(&best_metric, 1, 0);
  load_state(reader.get(), true);

  step_ = numbers[0];
  epoch_ = numbers[1];
  batches_into_epoch_ = numbers[2];
  const int64_t written_batches_per_epoch = numbers[3];
  const int64_t written_world = numbers[4];
  if (written_world != host_.world_size() ||
      written_batches_per_epoch != loader_->batches_per_epoch()) {
    // Another split of the users: continue at the same fraction of the epoch (the position
    // in the data, which schedule_step() measures in this world's batches), rounded to the
    // nearest batch.
    batches_into_epoch_ =
        written_batches_per_epoch > 0
            ? (2 * batches_into_epoch_ * loader_->batches_per_epoch() + written_batches_per_epoch) /
                  (2 * written_batches_per_epoch)
            : 0;
  }
  dense_optimizer_->set_step_count(numbers[5]);
  embedding_->optimizer().set_step_count(numbers[6]);
  best_step_ = numbers[7];
  validations_without_improvement_ = numbers[8];
  best_metric_ = best_metric;
  last_checkpoint_step_ = step_;
  if (root) {
    std::fprintf(stderr,
                 "slatetrain: resumed from %s at step %lld (epoch %lld, batch %lld; written by "
                 "%lld rank(s))\n",
                 reader->path().c_str(), static_cast<long long>(step_),
                 static_cast<long long>(epoch_), static_cast<long long>(batches_into_epoch_),
                 static_cast<long long>(written_world));
    nlohmann::json record = marker("resume");
    record["path"] = reader->path();
    record["written_by_world_size"] = written_world;
    metrics_log_.write(record);
  }
}

}  // namespace slatetrain
