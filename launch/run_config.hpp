// The run configuration of `slatetrain`: a YAML file (configs/*.yaml) plus `--set key=value`
// overrides. Every key is declared once in run_config.cpp with its type, default and meaning;
// an unknown or mistyped key, or a bad value, is an error naming the key and the file line.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "launch/number_range.hpp"

namespace slatetrain {

struct DataConfig {
  std::string path;  // a directory written by `slateconvert finn`
  // --resume and `slatetrain evaluate` accept a checkpoint whose dataset identity differs
  // (launch/dataset_identity).
  bool allow_other_dataset = false;
};

struct RunSection {
  std::string dir = "runs/default";  // checkpoints, metrics.jsonl, config.yaml
  uint64_t seed = 1;
  std::string device = "auto";  // auto | cpu | cuda
  int threads = 0;              // CPU threads per rank for the math; 0: cores / local ranks
};

struct ModelConfig {
  std::string kind = "gru";          // gru | transformer
  int dim = 32;                      // item and user vector size
  int hidden = 0;                    // gru state size; 0: dim
  int layers = 2;                    // transformer blocks
  int heads = 2;                     // transformer attention heads (divide dim)
  int ffn = 0;                       // transformer feed-forward size; 0: 4 * dim
  double dropout = 0.2;              // transformer: input, residual branches, feed-forward hidden
  double attention_dropout = 0.2;    // transformer: attention probabilities
  double layer_norm_epsilon = 1e-5;  // transformer
  bool interaction_type_embedding = true;
  bool update_every_step = false;  // every real step is an input event, not only clicks
  double init_scale = 0.1;         // standard deviation of the initial item vectors
  int max_length = 0;              // the loader's window; 0: the dataset's max_steps
};

struct ObjectiveConfig {
  std::string kind = "slate";  // slate | sampled_softmax | mixed
  int negatives = 64;          // sampled_softmax: negatives per step
  std::string sampler = "uniform";
  double sampler_power = 0.75;
  bool log_q_correction = true;
  bool remove_accidental_hits = true;
  bool shared_negatives = false;
  std::string catalogue = "sampled_softmax";  // mixed: the catalogue part
  double slate_weight = 1.0;
  double catalogue_weight = 1.0;
  std::string slate_head = "none";  // slate: none | linear
};

struct DenseOptimizerConfig {
  std::string kind = "adamw";  // adam | adamw
  double learning_rate = 3e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double epsilon = 1e-8;
  double weight_decay = 0.0;
};

struct EmbeddingOptimizerConfig {
  std::string kind = "adam";  // adam (lazy, row-wise) | adagrad | sgd
  double learning_rate = 1e-2;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double epsilon = 1e-8;
  double initial_accumulator = 0.1;  // adagrad
};

// The hierarchical item prior of the item table (docs/ITEM_PRIOR.md).
struct PriorConfig {
  std::string kind = "none";  // none | global | group
  double weight = 1.0;
  double sigma = 0.1;
  bool learn_sigma = false;
  double sigma_min = 1e-3;
  int64_t refresh_steps = 100;
  bool every_step = false;
};

struct ScheduleConfig {
  int epochs = 1;
  int64_t max_steps = 0;      // 0: as many as the epochs take
  int64_t batch_users = 256;  // per rank
  int64_t warmup_steps = 0;
  std::string decay = "cosine";  // cosine | linear | constant
  double min_learning_rate_fraction = 0.1;
  double gradient_clip = 0.0;  // global L2 norm over dense gradients; 0: off
};

struct EvaluationConfig {
  int64_t every_steps = 0;            // validation every N steps; 0: only at the end
  std::vector<int> k = {10, 20};      // cut-offs for the ranking metrics
  std::string metric = "hitrate@20";  // early stopping metric on validation (higher is better)
  int patience = 0;                   // validations without improvement before stopping; 0: off
  int64_t batch_users = 512;          // per rank
  int64_t max_users = 0;              // cap on evaluated users per split (0: all)
  bool exclude_seen = true;           // rank only items the user has not interacted with
};

struct CheckpointConfig {
  int64_t every_steps = 0;  // 0: only at the end (and on SIGTERM/SIGUSR1)
  int keep = 3;
  int64_t chunk_rows = 65536;  // embedding rows per chunk when collecting to rank 0
};

struct LoggingConfig {
  double progress_seconds = 10.0;  // periodic progress lines when not on a terminal
  int64_t metrics_every_steps = 50;
  bool phase_timing = false;  // synchronise the device at step phase boundaries (exact GPU phases)
};

struct LoaderConfig {
  int prefetch_batches = 4;
};

struct RunConfig {
  DataConfig data;
  RunSection run;
  ModelConfig model;
  ObjectiveConfig objective;
  DenseOptimizerConfig dense_optimizer;
  EmbeddingOptimizerConfig embedding_optimizer;
  PriorConfig prior;
  ScheduleConfig schedule;
  EvaluationConfig evaluation;
  CheckpointConfig checkpoint;
  LoggingConfig logging;
  LoaderConfig loader;

  // The effective configuration as YAML (defaults filled in, overrides applied): stored in the
  // run directory and in every checkpoint.
  std::string yaml;
};

// Reads `path`, applies `overrides` ("section.key=value"), validates every key and value.
RunConfig load_run_config(const std::string& path, const std::vector<std::string>& overrides);
// The same from YAML text (tests); `source_name` is used in messages.
RunConfig parse_run_config(const std::string& yaml_text, const std::string& source_name,
                           const std::vector<std::string>& overrides);
// Every key with its type, default and meaning, one per line (for --help).
std::string describe_run_config_keys();

// One declared key as the help and docs/CONFIG.md show it.
struct ConfigKeyInfo {
  std::string key;  // dotted path
  std::string type;
  std::string default_value;
  std::string meaning;
  bool numeric = false;  // an integer or number key (evaluation.k: each entry)
  bool integer = false;
  NumberRange range;  // numeric keys: the values accepted
};
std::vector<ConfigKeyInfo> run_config_keys();
// The whole of docs/CONFIG.md, written from the declarations (a test keeps the file equal).
std::string config_reference_markdown();

}  // namespace slatetrain
