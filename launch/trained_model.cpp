#include "launch/trained_model.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <mutex>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/cpu_backend.hpp"
#include "core/error.hpp"
#include "core/random.hpp"
#include "data/hdf5_library_mutex.hpp"
#include "data/shard_items.hpp"
#include "dist/checkpoint_file.hpp"

namespace slatetrain {

namespace {

// Streams of the run's seed (the Trainer's other streams are its own).
constexpr uint64_t kItemStream = 0x6974656d73;   // "items"
constexpr uint64_t kModelStream = 0x6d6f64656c;  // "model"

UserModelSpec user_model_spec(const RunConfig& config) {
  UserModelSpec spec;
  spec.kind = config.model.kind;
  spec.dim = config.model.dim;
  spec.hidden = config.model.hidden;
  spec.interaction_type_embedding = config.model.interaction_type_embedding;
  spec.input_every_step = config.model.update_every_step;
  spec.max_length = config.model.max_length;
  spec.layers = config.model.layers;
  spec.heads = config.model.heads;
  spec.ffn = config.model.ffn;
  spec.dropout = config.model.dropout;
  spec.attention_dropout = config.model.attention_dropout;
  spec.layer_norm_epsilon = config.model.layer_norm_epsilon;
  return spec;
}

ObjectiveSpec objective_spec(const RunConfig& config) {
  const ObjectiveConfig& objective = config.objective;
  ObjectiveSpec spec;
  spec.kind = objective.kind;
  spec.negatives = objective.negatives;
  spec.sampler = objective.sampler;
  spec.sampler_power = objective.sampler_power;
  spec.log_q_correction = objective.log_q_correction;
  spec.remove_accidental_hits = objective.remove_accidental_hits;
  spec.shared_negatives = objective.shared_negatives;
  spec.catalogue = objective.catalogue;
  spec.slate_weight = objective.slate_weight;
  spec.catalogue_weight = objective.catalogue_weight;
  spec.slate_head = objective.slate_head;
  return spec;
}

DatasetFacts dataset_facts(const Manifest& manifest, const RunConfig& config,
                           std::shared_ptr<const std::vector<int64_t>> item_counts) {
  DatasetFacts facts;
  facts.ids = manifest.ids;
  facts.num_items = manifest.num_items;
  facts.slate_slots = manifest.slate_slots;
  facts.slate_lengths = std::max<int64_t>(
      manifest.slate_slots + 2, static_cast<int64_t>(manifest.slate_length_histogram.size()));
  // The loader's window (data/slate_loader.hpp): model.max_length, or the whole history.
  facts.max_steps = config.model.max_length > 0 ? config.model.max_length : manifest.max_steps;
  facts.interaction_types = manifest.interaction_type_count();
  facts.item_counts = std::move(item_counts);
  facts.name = config.data.path;
  return facts;
}

// Each item's group for the item prior: /items/category of the dataset's items.h5 (FINN's
// itemattr.npz category; a session dataset's primary group, 0: none), read by rank 0 and
// broadcast. Returns the group count.
int64_t read_item_groups(const Manifest& manifest, const std::string& directory, Communicator& host,
                         std::vector<int32_t>& groups) {
  groups.assign(static_cast<size_t>(manifest.num_items), 0);
  int64_t count = manifest.num_item_groups;
  if (host.rank() == 0) {
    const std::string path = manifest.items_path(directory);
    std::vector<double> categories;
    {
      std::lock_guard<std::mutex> lock(hdf5_library_mutex());
      categories = read_item_categories(path);
    }
    REQUIRE(static_cast<int64_t>(categories.size()) == manifest.num_items,
            path << ": /items/category has " << categories.size() << " items, the manifest "
                 << manifest.num_items << " (prior.kind group)");
    for (int64_t item = 0; item < manifest.num_items; ++item) {
      const double category = categories[item];
      REQUIRE(category >= 0 && category < INT32_MAX && category == std::floor(category),
              path << ": item " << item << " has category " << category
                   << ", not a group number (prior.kind group)");
      groups[item] = static_cast<int32_t>(category);
      count = std::max<int64_t>(count, groups[item] + 1);
    }
  }
  host.broadcast(groups.data(), groups.size(), 0);
  host.broadcast(&count, 1, 0);
  return count;
}

}  // namespace

TrainedModel::TrainedModel(const RunConfig& config, Communicator& host,
                           Communicator& device_communicator, Backend& backend, Manifest manifest)
    : config_(config),
      host_(host),
      device_communicator_(device_communicator),
      backend_(backend),
      manifest_(std::move(manifest)) {
  const uint64_t seed = config_.run.seed;
  ShardedEmbeddingOptions table;
  table.num_items = manifest_.num_items;
  table.dim = config_.model.dim;
  table.seed = hash_mix(seed, kItemStream);
  table.init_scale = static_cast<float>(config_.model.init_scale);
  table.init_threads =
      config_.run.threads > 0 ? config_.run.threads : CpuBackend::default_threads();
  const auto& row_optimizer = config_.embedding_optimizer;
  table.optimizer.kind = parse_row_optimizer_kind(row_optimizer.kind);
  table.optimizer.beta1 = static_cast<float>(row_optimizer.beta1);
  table.optimizer.beta2 = static_cast<float>(row_optimizer.beta2);
  table.optimizer.adam_epsilon = static_cast<float>(row_optimizer.epsilon);
  table.optimizer.adagrad_epsilon = static_cast<float>(row_optimizer.epsilon);
  table.optimizer.initial_accumulator = static_cast<float>(row_optimizer.initial_accumulator);
  const PriorConfig& prior = config_.prior;
  table.prior.kind = parse_item_prior_kind(prior.kind);
  table.prior.weight = static_cast<float>(prior.weight);
  table.prior.sigma = static_cast<float>(prior.sigma);
  table.prior.learn_sigma = prior.learn_sigma;
  table.prior.sigma_min = static_cast<float>(prior.sigma_min);
  table.prior.refresh_steps = prior.refresh_steps;
  table.prior.every_step = prior.every_step;
  if (table.prior.kind == ItemPriorKind::kGroup) {
    table.item_group_count =
        read_item_groups(manifest_, config_.data.path, host_, table.item_groups);
  }
  embedding_ = std::make_unique<ShardedEmbedding>(device_communicator_, host_, backend_, table);

  EvaluationOptions evaluation;
  evaluation.directory = config_.data.path;
  evaluation.ks = config_.evaluation.k;
  evaluation.batch_users = config_.evaluation.batch_users;
  evaluation.max_users = config_.evaluation.max_users;
  evaluation.ids = manifest_.ids;
  evaluation.exclude_seen = config_.evaluation.exclude_seen;
  evaluation.window_steps = config_.model.max_length;
  evaluation.prefetch_batches = config_.loader.prefetch_batches;
  evaluator_ =
      std::make_unique<Evaluator>(host_, device_communicator_, backend_, *embedding_, evaluation);

  // Training clicks per item, counted once: the popularity sampler's and the popularity
  // baseline's.
  item_counts_ = std::make_shared<const std::vector<int64_t>>(evaluator_->count_training_clicks());
  model_ = std::make_unique<RecommenderModel>(
      backend_, user_model_spec(config_), objective_spec(config_),
      dataset_facts(manifest_, config_, item_counts_), embedding_.get());
  model_->initialize(hash_mix(seed, kModelStream));
}

TrainedModel::~TrainedModel() = default;

void TrainedModel::load_dense(const CheckpointFileReader* reader, const std::string& name,
                              float* destination) {
  const bool root = host_.rank() == 0;
  const int64_t size = model_->parameters().size();
  std::vector<float> values;
  if (root) {
    std::lock_guard<std::mutex> lock(hdf5_library_mutex());
    values = reader->read_dense(name);
    REQUIRE(static_cast<int64_t>(values.size()) == size,
            reader->path() << ": dense/" << name << " has " << values.size()
                           << " values, this model has " << size
                           << " (a different model configuration?)");
  } else {
    values.resize(static_cast<size_t>(size));
  }
  host_.broadcast(values.data(), values.size(), 0);
  backend_.copy_to_device(destination, values.data(), values.size() * sizeof(float));
}

void TrainedModel::load_embedding_table(const CheckpointFileReader* reader, size_t table,
                                        const std::string& dataset) {
  embedding_->scatter_rows(
      table,
      [&](int64_t first_item, int64_t count, float* rows) {
        std::lock_guard<std::mutex> lock(hdf5_library_mutex());
        reader->read_embedding_rows(dataset, first_item, count, rows);
      },
      config_.checkpoint.chunk_rows);
}

void TrainedModel::load_weights(const CheckpointFileReader* reader) {
  load_dense(reader, "parameters", model_->parameters().values());
  load_embedding_table(reader, 0, "rows");
}

void require_checkpoint_table(const CheckpointFileReader& reader, const Manifest& manifest,
                              const RunConfig& config) {
  REQUIRE(reader.num_items() == manifest.num_items,
          reader.path() << ": its item table has " << reader.num_items() << " items, data.path "
                        << config.data.path << " has " << manifest.num_items);
  REQUIRE(reader.dim() == config.model.dim,
          reader.path() << ": its item table is " << reader.num_items() << " x " << reader.dim()
                        << ", this configuration's (model.dim) is " << manifest.num_items << " x "
                        << config.model.dim);
}

namespace {

// The model.* keys whose values differ between two configurations, "key: a in the checkpoint,
// b here", separated by "; ".
std::string model_differences(const ModelConfig& written, const ModelConfig& here) {
  std::ostringstream out;
  const auto compare = [&](const char* key, const auto& a, const auto& b) {
    if (a == b) return;
    if (out.tellp() > 0) out << "; ";
    out << "model." << key << " is " << a << " in the checkpoint, " << b << " here";
  };
  compare("kind", written.kind, here.kind);
  compare("dim", written.dim, here.dim);
  compare("hidden", written.hidden, here.hidden);
  compare("layers", written.layers, here.layers);
  compare("heads", written.heads, here.heads);
  compare("ffn", written.ffn, here.ffn);
  compare("interaction_type_embedding", written.interaction_type_embedding,
          here.interaction_type_embedding);
  compare("max_length", written.max_length, here.max_length);
  return out.str();
}

}  // namespace

std::string parameter_layout(const ParameterBuffer& parameters) {
  nlohmann::json layout = nlohmann::json::array();
  for (const ParameterView& view : parameters.views()) {
    layout.push_back({{"name", view.name}, {"offset", view.offset}, {"shape", view.shape}});
  }
  std::string text = layout.dump();
  // HDF5 keeps an attribute in the object header: at most 64 KiB.
  constexpr size_t kLargestAttribute = 60000;
  return text.size() <= kLargestAttribute ? text : std::string();
}

void require_checkpoint_model(const CheckpointFileReader& reader, const ParameterBuffer& parameters,
                              const RunConfig& config) {
  const int64_t written = reader.dense_size("parameters");
  // The first parameter whose name, offset or shape differs, when the file records them.
  std::string first_difference;
  const std::string layout_text = reader.dense_layout("parameters");
  if (!layout_text.empty()) {
    const nlohmann::json layout = nlohmann::json::parse(layout_text, nullptr, false);
    REQUIRE(layout.is_array(), reader.path() << ": dense/parameters' layout is not a JSON array");
    const auto& views = parameters.views();
    const auto describe = [](const std::string& name, int64_t offset,
                             const std::vector<int64_t>& shape) {
      std::ostringstream out;
      out << name << " " << nlohmann::json(shape).dump() << " at " << offset;
      return out.str();
    };
    try {
      for (size_t i = 0; i < std::max(views.size(), layout.size()) && first_difference.empty();
           ++i) {
        const std::string here =
            i < views.size() ? describe(views[i].name, views[i].offset, views[i].shape) : "nothing";
        const std::string there = i < layout.size()
                                      ? describe(layout[i].value("name", std::string()),
                                                 layout[i].value("offset", int64_t{-1}),
                                                 layout[i].value("shape", std::vector<int64_t>{}))
                                      : "nothing";
        if (here != there) {
          first_difference = "parameter " + std::to_string(i) + " is " + there +
                             " in the checkpoint, " + here + " here";
        }
      }
    } catch (const nlohmann::json::exception& error) {
      RAISE(reader.path() << ": dense/parameters' layout is not a list of {name, offset, shape}: "
                          << error.what());
    }
  }
  if (written == parameters.size() && first_difference.empty()) return;
  std::string differences;
  try {
    differences = model_differences(
        parse_run_config(reader.header().config_yaml, reader.path() + " (its config)", {}).model,
        config.model);
  } catch (const std::exception&) {
    // The checkpoint's configuration is of another slatetrain: the counts alone say it.
  }
  RAISE(reader.path() << ": dense/parameters holds " << written
                      << " floats, the model this configuration describes (model.kind "
                      << config.model.kind << ") has " << parameters.size()
                      << ": another model shape"
                      << (first_difference.empty() ? std::string() : "; " + first_difference)
                      << (differences.empty() ? std::string() : "; " + differences));
}

void require_checkpoint_dataset(const CheckpointFileReader& reader, const std::string& dataset_id,
                                const RunConfig& config, const char* action) {
  const CheckpointHeader& header = reader.header();
  if (header.dataset_id.empty()) {
    std::fprintf(stderr,
                 "slatetrain: %s records no dataset identity (an older slatetrain wrote it): "
                 "not checked against %s\n",
                 reader.path().c_str(), config.data.path.c_str());
  } else if (header.dataset_id != dataset_id) {
    REQUIRE(config.data.allow_other_dataset,
            reader.path() << ": written on another dataset (" << header.dataset_path << ", id "
                          << header.dataset_id << "); this run's data.path " << config.data.path
                          << " has id " << dataset_id << ": refusing to " << action
                          << " (--set data.allow_other_dataset=true to " << action
                          << " on this data anyway)");
    std::fprintf(stderr, "slatetrain: data.allow_other_dataset: %s on %s of %s (written on %s)\n",
                 action, config.data.path.c_str(), reader.path().c_str(),
                 header.dataset_path.c_str());
  }
}

}  // namespace slatetrain
