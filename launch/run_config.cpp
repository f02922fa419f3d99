#include "launch/run_config.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <set>
#include <sstream>

#include "core/error.hpp"
#include "launch/number_range.hpp"

namespace slatetrain {

namespace {

// Where values come from: a file (messages name its line) or one --set (named whole).
struct Origin {
  std::string name;  // "config.yaml" or "--set model.dim=3"
  bool has_lines = true;
  std::string at(const YAML::Node& node) const {
    std::ostringstream out;
    out << name;
    if (has_lines && node.Mark().line >= 0) out << ":" << node.Mark().line + 1;
    return out.str();
  }
};

// One declared key: how to read it into the config, how to show its default.
struct KeySpec {
  std::string key;  // dotted path, e.g. "schedule.batch_users"
  std::string type;
  std::string meaning;
  std::vector<std::string> choices;  // for string keys with a fixed set of values
  bool numeric = false;              // integer or number keys (and evaluation.k's entries)
  bool integer = false;
  NumberRange range;  // numeric keys: the values accepted
  std::function<void(RunConfig&, const YAML::Node&, const Origin&)> read;
  std::function<std::string(const RunConfig&)> show;
};

template <typename T>
T read_scalar(const YAML::Node& node, const std::string& key, const Origin& origin,
              const char* type_name) {
  if (!node.IsScalar()) RAISE(origin.at(node) << ": key '" << key << "' must be a " << type_name);
  try {
    return node.as<T>();
  } catch (const YAML::Exception&) {
    RAISE(origin.at(node) << ": key '" << key << "' must be a " << type_name << ", not '"
                          << node.Scalar() << "'");
  }
}

template <typename T>
std::string show_value(const T& value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

// An integer within `range` and within what `Integer` holds.
template <typename Integer>
int64_t read_integer(const YAML::Node& node, const std::string& key, const Origin& origin,
                     const NumberRange& range) {
  const auto value = read_scalar<int64_t>(node, key, origin, "integer");
  const auto type_max = static_cast<double>(std::numeric_limits<Integer>::max());
  if (!range.contains(static_cast<double>(value))) {
    RAISE(origin.at(node) << ": " << key << " = " << node.Scalar() << " is " << range.violation());
  }
  if (static_cast<double>(value) > type_max) {
    NumberRange held = range;
    held.upper = type_max;
    RAISE(origin.at(node) << ": " << key << " = " << node.Scalar() << " is " << held.violation());
  }
  return value;
}

template <typename Integer>
KeySpec int_key(const std::string& key, std::function<Integer&(RunConfig&)> member,
                NumberRange range, const std::string& meaning) {
  KeySpec spec;
  spec.key = key;
  spec.type = "integer " + range.text();
  spec.meaning = meaning;
  spec.numeric = spec.integer = true;
  spec.range = range;
  spec.read = [key, member, range](RunConfig& config, const YAML::Node& node,
                                   const Origin& origin) {
    member(config) = static_cast<Integer>(read_integer<Integer>(node, key, origin, range));
  };
  spec.show = [member](const RunConfig& config) {
    return show_value(member(const_cast<RunConfig&>(config)));
  };
  return spec;
}

KeySpec double_key(const std::string& key, std::function<double&(RunConfig&)> member,
                   NumberRange range, const std::string& meaning) {
  KeySpec spec;
  spec.key = key;
  spec.type = "number " + range.text();
  spec.meaning = meaning;
  spec.numeric = true;
  spec.range = range;
  spec.read = [key, member, range](RunConfig& config, const YAML::Node& node,
                                   const Origin& origin) {
    const auto value = read_scalar<double>(node, key, origin, "number");
    if (!std::isfinite(value)) {
      RAISE(origin.at(node) << ": " << key << " = " << node.Scalar() << " is not a finite number");
    }
    if (!range.contains(value)) {
      RAISE(origin.at(node) << ": " << key << " = " << node.Scalar() << " is "
                            << range.violation());
    }
    member(config) = value;
  };
  spec.show = [member](const RunConfig& config) {
    return show_value(member(const_cast<RunConfig&>(config)));
  };
  return spec;
}

KeySpec bool_key(const std::string& key, std::function<bool&(RunConfig&)> member,
                 const std::string& meaning) {
  KeySpec spec;
  spec.key = key;
  spec.type = "true|false";
  spec.meaning = meaning;
  spec.read = [key, member](RunConfig& config, const YAML::Node& node, const Origin& origin) {
    member(config) = read_scalar<bool>(node, key, origin, "boolean (true or false)");
  };
  spec.show = [member](const RunConfig& config) {
    return std::string(member(const_cast<RunConfig&>(config)) ? "true" : "false");
  };
  return spec;
}

KeySpec string_key(const std::string& key, std::function<std::string&(RunConfig&)> member,
                   std::vector<std::string> choices, const std::string& meaning) {
  KeySpec spec;
  spec.key = key;
  spec.meaning = meaning;
  spec.choices = choices;
  if (choices.empty()) {
    spec.type = "string";
  } else {
    for (const auto& choice : choices) spec.type += (spec.type.empty() ? "" : "|") + choice;
  }
  spec.read = [key, member, choices](RunConfig& config, const YAML::Node& node,
                                     const Origin& origin) {
    const auto value = read_scalar<std::string>(node, key, origin, "string");
    if (!choices.empty() && std::find(choices.begin(), choices.end(), value) == choices.end()) {
      std::string allowed;
      for (const auto& choice : choices) allowed += (allowed.empty() ? "" : ", ") + choice;
      RAISE(origin.at(node) << ": key '" << key << "' is '" << value
                            << "', which is not one of: " << allowed);
    }
    member(config) = value;
  };
  spec.show = [member](const RunConfig& config) { return member(const_cast<RunConfig&>(config)); };
  return spec;
}

std::vector<KeySpec> declared_keys() {
  using C = RunConfig;
  std::vector<KeySpec> keys;
  keys.push_back(string_key(
      "data.path", [](C& c) -> std::string& { return c.data.path; }, {},
      "directory written by `slateconvert finn` (relative paths: from the working directory)"));
  keys.push_back(bool_key(
      "data.allow_other_dataset", [](C& c) -> bool& { return c.data.allow_other_dataset; },
      "--resume or evaluate a checkpoint written on another dataset (default: refused)"));
  keys.push_back(string_key(
      "run.dir", [](C& c) -> std::string& { return c.run.dir; }, {},
      "run directory: checkpoints/, metrics.jsonl, config.yaml"));
  keys.push_back(int_key<uint64_t>(
      "run.seed", [](C& c) -> uint64_t& { return c.run.seed; }, at_least(0),
      "seed of initialisation, shuffling and negative sampling"));
  keys.push_back(string_key(
      "run.device", [](C& c) -> std::string& { return c.run.device; }, {"auto", "cpu", "cuda"},
      "where the math runs: auto picks cuda when a GPU is visible"));
  keys.push_back(int_key<int>(
      "run.threads", [](C& c) -> int& { return c.run.threads; }, at_least(0),
      "CPU threads per rank (0: cores divided by the ranks on the node)"));
  keys.push_back(string_key(
      "model.kind", [](C& c) -> std::string& { return c.model.kind; }, {"gru", "transformer"},
      "user model (docs/MODELS.md): gru (Eide et al. 2022) or transformer (SASRec-style)"));
  keys.push_back(int_key<int>(
      "model.dim", [](C& c) -> int& { return c.model.dim; }, at_least(1),
      "item and user vector size (the GRU state too, unless model.hidden)"));
  keys.push_back(int_key<int>(
      "model.hidden", [](C& c) -> int& { return c.model.hidden; }, at_least(0),
      "gru: state size (0: model.dim)"));
  keys.push_back(int_key<int>(
      "model.layers", [](C& c) -> int& { return c.model.layers; }, at_least(1),
      "transformer: pre-norm blocks"));
  keys.push_back(int_key<int>(
      "model.heads", [](C& c) -> int& { return c.model.heads; }, at_least(1),
      "transformer: attention heads (must divide model.dim)"));
  keys.push_back(int_key<int>(
      "model.ffn", [](C& c) -> int& { return c.model.ffn; }, at_least(0),
      "transformer: feed-forward hidden size (0: 4 * model.dim)"));
  keys.push_back(double_key(
      "model.dropout", [](C& c) -> double& { return c.model.dropout; }, from_below(0, 1),
      "transformer: dropout of the input vectors, the residual branches and the feed-forward "
      "hidden layer"));
  keys.push_back(double_key(
      "model.attention_dropout", [](C& c) -> double& { return c.model.attention_dropout; },
      from_below(0, 1), "transformer: dropout of the attention probabilities"));
  keys.push_back(double_key(
      "model.layer_norm_epsilon", [](C& c) -> double& { return c.model.layer_norm_epsilon; },
      above(0), "transformer: the layer norms' epsilon"));
  keys.push_back(bool_key(
      "model.interaction_type_embedding",
      [](C& c) -> bool& { return c.model.interaction_type_embedding; },
      "add an embedding of the step's interaction type (search/rec) to the input"));
  keys.push_back(bool_key(
      "model.update_every_step", [](C& c) -> bool& { return c.model.update_every_step; },
      "every real step is an input event (a no-click too), not clicks only"));
  keys.push_back(double_key(
      "model.init_scale", [](C& c) -> double& { return c.model.init_scale; }, at_least(0),
      "standard deviation of the initial item vectors"));
  keys.push_back(int_key<int>(
      "model.max_length", [](C& c) -> int& { return c.model.max_length; }, at_least(0),
      "steps of history the model sees (the loader's window; 0: the dataset's max_steps)"));
  keys.push_back(string_key(
      "objective.kind", [](C& c) -> std::string& { return c.objective.kind; },
      {"slate", "sampled_softmax", "full_softmax", "mixed"},
      "the loss (docs/MODELS.md): slate: softmax over the shown slate and no-click; "
      "sampled_softmax: the click against sampled negatives from the catalogue; full_softmax: "
      "against the whole catalogue; mixed: slate_weight * slate + catalogue_weight * "
      "objective.catalogue"));
  keys.push_back(int_key<int>(
      "objective.negatives", [](C& c) -> int& { return c.objective.negatives; }, at_least(1),
      "sampled_softmax: negatives per step"));
  keys.push_back(string_key(
      "objective.sampler", [](C& c) -> std::string& { return c.objective.sampler; },
      {"uniform", "popularity", "in_batch", "mixed"},
      "sampled_softmax: where negatives come from: the catalogue uniformly, by training "
      "popularity, the batch's other clicks, or half batch half uniform"));
  keys.push_back(double_key(
      "objective.sampler_power", [](C& c) -> double& { return c.objective.sampler_power; },
      at_least(0), "popularity sampler: q proportional to (training clicks + 1)^power"));
  keys.push_back(bool_key(
      "objective.log_q_correction", [](C& c) -> bool& { return c.objective.log_q_correction; },
      "sampled_softmax: subtract log(K q) from each candidate's logit (q: its draw probability)"));
  keys.push_back(bool_key(
      "objective.remove_accidental_hits",
      [](C& c) -> bool& { return c.objective.remove_accidental_hits; },
      "sampled_softmax: leave out negatives that are the step's own item"));
  keys.push_back(bool_key(
      "objective.shared_negatives", [](C& c) -> bool& { return c.objective.shared_negatives; },
      "sampled_softmax: draw the K negatives once per training step and score every click of "
      "the batch against them (uniform or popularity sampler), instead of K per click"));
  keys.push_back(string_key(
      "objective.catalogue", [](C& c) -> std::string& { return c.objective.catalogue; },
      {"sampled_softmax", "full_softmax"},
      "mixed: the catalogue objective beside the slate objective"));
  keys.push_back(double_key(
      "objective.slate_weight", [](C& c) -> double& { return c.objective.slate_weight; },
      at_least(0), "mixed: weight of the slate objective"));
  keys.push_back(double_key(
      "objective.catalogue_weight", [](C& c) -> double& { return c.objective.catalogue_weight; },
      at_least(0), "mixed: weight of the catalogue objective"));
  keys.push_back(string_key(
      "objective.slate_head", [](C& c) -> std::string& { return c.objective.slate_head; },
      {"none", "linear"},
      "slate objective: none scores a slate with the user vector z; linear with W z + b, its own "
      "weight and bias, so a catalogue term beside it (mixed) can learn how often items are "
      "shown into the shared scores without costing the in-slate likelihood"));
  keys.push_back(string_key(
      "optimizer.dense.kind", [](C& c) -> std::string& { return c.dense_optimizer.kind; },
      {"adam", "adamw"}, "optimizer of the replicated dense parameters"));
  keys.push_back(double_key(
      "optimizer.dense.learning_rate",
      [](C& c) -> double& { return c.dense_optimizer.learning_rate; }, above(0),
      "peak learning rate"));
  keys.push_back(double_key(
      "optimizer.dense.beta1", [](C& c) -> double& { return c.dense_optimizer.beta1; },
      from_below(0, 1), "Adam beta1"));
  keys.push_back(double_key(
      "optimizer.dense.beta2", [](C& c) -> double& { return c.dense_optimizer.beta2; },
      from_below(0, 1), "Adam beta2"));
  keys.push_back(double_key(
      "optimizer.dense.epsilon", [](C& c) -> double& { return c.dense_optimizer.epsilon; },
      above(0), "Adam epsilon"));
  keys.push_back(double_key(
      "optimizer.dense.weight_decay",
      [](C& c) -> double& { return c.dense_optimizer.weight_decay; }, at_least(0),
      "decoupled weight decay (adamw)"));
  keys.push_back(string_key(
      "optimizer.embedding.kind", [](C& c) -> std::string& { return c.embedding_optimizer.kind; },
      {"adam", "adagrad", "sgd"},
      "row-wise optimizer of the sharded item table (lazy: touched rows); sgd: p -= lr * g, a "
      "step in proportion to the gradient (docs/ITEM_PRIOR.md)"));
  keys.push_back(double_key(
      "optimizer.embedding.learning_rate",
      [](C& c) -> double& { return c.embedding_optimizer.learning_rate; }, above(0),
      "peak learning rate of the item table"));
  keys.push_back(double_key(
      "optimizer.embedding.beta1", [](C& c) -> double& { return c.embedding_optimizer.beta1; },
      from_below(0, 1), "Adam beta1"));
  keys.push_back(double_key(
      "optimizer.embedding.beta2", [](C& c) -> double& { return c.embedding_optimizer.beta2; },
      from_below(0, 1), "Adam beta2"));
  keys.push_back(double_key(
      "optimizer.embedding.epsilon", [](C& c) -> double& { return c.embedding_optimizer.epsilon; },
      above(0), "Adam/Adagrad epsilon"));
  keys.push_back(double_key(
      "optimizer.embedding.initial_accumulator",
      [](C& c) -> double& { return c.embedding_optimizer.initial_accumulator; }, at_least(0),
      "Adagrad's initial accumulator"));
  keys.push_back(string_key(
      "prior.kind", [](C& c) -> std::string& { return c.prior.kind; }, {"none", "global", "group"},
      "hierarchical item prior (docs/ITEM_PRIOR.md): item vector ~ N(group vector, sigma^2), "
      "applied to every row every step (lazily, in closed form); group: the dataset's item "
      "groups (items.h5 category); global: one group of all items"));
  keys.push_back(double_key(
      "prior.weight", [](C& c) -> double& { return c.prior.weight; }, at_least(0),
      "the prior's weight: rows decay toward their group vector at rate weight / sigma^2 per "
      "unit of the item table's learning rate"));
  keys.push_back(double_key(
      "prior.sigma", [](C& c) -> double& { return c.prior.sigma; }, above(0),
      "every group's scale (fixed, or the start when prior.learn_sigma)"));
  keys.push_back(bool_key(
      "prior.learn_sigma", [](C& c) -> bool& { return c.prior.learn_sigma; },
      "re-estimate each group's scale (MAP: the rms deviation of its rows) at each refresh"));
  keys.push_back(double_key(
      "prior.sigma_min", [](C& c) -> double& { return c.prior.sigma_min; }, above(0),
      "learned scales never fall below this"));
  keys.push_back(int_key<int64_t>(
      "prior.refresh_steps", [](C& c) -> int64_t& { return c.prior.refresh_steps; }, at_least(0),
      "group vectors (the mean of each group's rows) and learned scales re-estimated every N "
      "steps (0: only at the start)"));
  keys.push_back(bool_key(
      "prior.every_step", [](C& c) -> bool& { return c.prior.every_step; },
      "the dense reference: the prior applied to every row at every step (slow; the default "
      "lazy form is equal up to rounding)"));
  keys.push_back(int_key<int>(
      "schedule.epochs", [](C& c) -> int& { return c.schedule.epochs; }, at_least(1),
      "passes over the training users"));
  keys.push_back(int_key<int64_t>(
      "schedule.max_steps", [](C& c) -> int64_t& { return c.schedule.max_steps; }, at_least(0),
      "stop after this many steps (0: when the epochs end)"));
  keys.push_back(int_key<int64_t>(
      "schedule.batch_users", [](C& c) -> int64_t& { return c.schedule.batch_users; }, at_least(1),
      "users per batch per rank (the global batch is this times the ranks)"));
  keys.push_back(int_key<int64_t>(
      "schedule.warmup_steps", [](C& c) -> int64_t& { return c.schedule.warmup_steps; },
      at_least(0), "linear learning-rate warm-up steps"));
  keys.push_back(string_key(
      "schedule.decay", [](C& c) -> std::string& { return c.schedule.decay; },
      {"cosine", "linear", "constant"}, "learning-rate decay after the warm-up"));
  keys.push_back(double_key(
      "schedule.min_learning_rate_fraction",
      [](C& c) -> double& { return c.schedule.min_learning_rate_fraction; }, between(0, 1),
      "the decay's floor as a fraction of the peak"));
  keys.push_back(double_key(
      "schedule.gradient_clip", [](C& c) -> double& { return c.schedule.gradient_clip; },
      at_least(0), "clip the global L2 norm of the dense gradients (0: off)"));
  keys.push_back(int_key<int64_t>(
      "evaluation.every_steps", [](C& c) -> int64_t& { return c.evaluation.every_steps; },
      at_least(0), "validate every N steps (0: at the end only)"));
  {
    KeySpec spec;
    spec.key = "evaluation.k";
    spec.type = "list of integers >= 1";
    spec.meaning = "cut-offs of the ranking metrics";
    spec.numeric = spec.integer = true;  // the range of each entry
    spec.range = at_least(1);
    spec.read = [range = spec.range](RunConfig& config, const YAML::Node& node,
                                     const Origin& origin) {
      if (!node.IsSequence() || node.size() == 0) {
        RAISE(origin.at(node)
              << ": key 'evaluation.k' must be a non-empty list of integers, e.g. [10, 20]");
      }
      config.evaluation.k.clear();
      for (const auto& item : node) {
        config.evaluation.k.push_back(
            static_cast<int>(read_integer<int>(item, "evaluation.k", origin, range)));
      }
      std::sort(config.evaluation.k.begin(), config.evaluation.k.end());
    };
    spec.show = [](const RunConfig& config) {
      std::string out = "[";
      for (size_t i = 0; i < config.evaluation.k.size(); ++i) {
        out += (i ? ", " : "") + std::to_string(config.evaluation.k[i]);
      }
      return out + "]";
    };
    keys.push_back(spec);
  }
  keys.push_back(string_key(
      "evaluation.metric", [](C& c) -> std::string& { return c.evaluation.metric; }, {},
      "validation metric for early stopping and the best checkpoint (e.g. hitrate@20, loglik)"));
  keys.push_back(int_key<int>(
      "evaluation.patience", [](C& c) -> int& { return c.evaluation.patience; }, at_least(0),
      "validations without improvement before stopping (0: never stop early)"));
  keys.push_back(int_key<int64_t>(
      "evaluation.batch_users", [](C& c) -> int64_t& { return c.evaluation.batch_users; },
      at_least(1), "users per evaluation batch per rank"));
  keys.push_back(bool_key(
      "evaluation.exclude_seen", [](C& c) -> bool& { return c.evaluation.exclude_seen; },
      "leave the items of the user's history out of the ranking (as RecBole and the FINN "
      "code do)"));
  keys.push_back(int_key<int64_t>(
      "evaluation.max_users", [](C& c) -> int64_t& { return c.evaluation.max_users; }, at_least(0),
      "evaluate the first min(N, the split's users) users of each split, exactly, on any number "
      "of ranks (0: all)"));
  keys.push_back(int_key<int64_t>(
      "checkpoint.every_steps", [](C& c) -> int64_t& { return c.checkpoint.every_steps; },
      at_least(0), "write a checkpoint every N steps (0: at the end and on SIGTERM/SIGUSR1 only)"));
  keys.push_back(int_key<int>(
      "checkpoint.keep", [](C& c) -> int& { return c.checkpoint.keep; }, at_least(1),
      "checkpoints kept (the newest ones)"));
  keys.push_back(int_key<int64_t>(
      "checkpoint.chunk_rows", [](C& c) -> int64_t& { return c.checkpoint.chunk_rows; },
      at_least(1), "embedding rows collected to rank 0 per chunk"));
  keys.push_back(double_key(
      "logging.progress_seconds", [](C& c) -> double& { return c.logging.progress_seconds; },
      at_least(0), "seconds between progress lines when not on a terminal"));
  keys.push_back(int_key<int64_t>(
      "logging.metrics_every_steps", [](C& c) -> int64_t& { return c.logging.metrics_every_steps; },
      at_least(1), "training lines in metrics.jsonl every N steps"));
  keys.push_back(bool_key(
      "logging.phase_timing", [](C& c) -> bool& { return c.logging.phase_timing; },
      "synchronise the device at each step phase so the logged phase times are exact on a GPU "
      "(slower; without it GPU phases are host time)"));
  keys.push_back(int_key<int>(
      "loader.prefetch_batches", [](C& c) -> int& { return c.loader.prefetch_batches; },
      at_least(1), "batches decoded ahead by the loader thread"));
  return keys;
}

}  // namespace

namespace {

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> previous(b.size() + 1), current(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) previous[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    current[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      current[j] = std::min(
          {previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    }
    std::swap(previous, current);
  }
  return previous[b.size()];
}

std::string suggestion(const std::string& key, const std::vector<KeySpec>& keys) {
  std::string best;
  size_t best_distance = 4;  // only close misspellings are worth suggesting
  for (const auto& spec : keys) {
    const size_t distance = edit_distance(key, spec.key);
    if (distance < best_distance) {
      best_distance = distance;
      best = spec.key;
    }
  }
  return best.empty() ? "" : " (did you mean '" + best + "'?)";
}

bool is_section_prefix(const std::string& path, const std::vector<KeySpec>& keys) {
  for (const auto& spec : keys) {
    if (spec.key.size() > path.size() && spec.key.compare(0, path.size(), path) == 0 &&
        spec.key[path.size()] == '.') {
      return true;
    }
  }
  return false;
}

// Walks the user's tree; every leaf must be a declared key, and no map may name a key twice
// (yaml-cpp keeps both entries of a repeated key; reading them in turn would let the last win
// silently). A key in `replaced` is checked for its place only: a --set gives its value, which
// is the one checked (a bad value in the file can be overridden).
void read_tree(const YAML::Node& node, const std::string& path, const Origin& origin,
               const std::vector<KeySpec>& keys, const std::set<std::string>& replaced,
               RunConfig& config) {
  std::map<std::string, YAML::Node> seen;  // name -> its key node (for the first line)
  for (const auto& entry : node) {
    if (!entry.first.IsScalar()) RAISE(origin.at(entry.first) << ": keys must be names");
    const std::string name = entry.first.Scalar();
    const std::string key = path.empty() ? name : path + "." + name;
    const auto [first, inserted] = seen.emplace(name, entry.first);
    if (!inserted) {
      RAISE(origin.at(entry.first)
            << ": key '" << key << "' is given twice (lines " << first->second.Mark().line + 1
            << " and " << entry.first.Mark().line + 1 << "); keep one");
    }
    const auto spec = std::find_if(keys.begin(), keys.end(),
                                   [&](const KeySpec& candidate) { return candidate.key == key; });
    if (spec != keys.end()) {
      if (replaced.count(key) == 0) spec->read(config, entry.second, origin);
    } else if (is_section_prefix(key, keys)) {
      if (!entry.second.IsMap()) {
        RAISE(origin.at(entry.second) << ": '" << key << "' is a section: give it keys");
      }
      read_tree(entry.second, key, origin, keys, replaced, config);
    } else if (key == "loss" || key.compare(0, 5, "loss.") == 0) {
      RAISE(origin.at(entry.first) << ": the 'loss' section is now 'objective' "
                                      "(objective.kind, objective.negatives)");
    } else {
      RAISE(origin.at(entry.first) << ": unknown key '" << key << "'" << suggestion(key, keys));
    }
  }
}

// Applies "a.b.c=value" to the tree, creating maps as needed.
void apply_override(YAML::Node& root, const std::string& assignment,
                    const std::vector<KeySpec>& keys) {
  const auto equals = assignment.find('=');
  if (equals == std::string::npos || equals == 0) {
    RAISE("--set " << assignment << ": expected key=value, e.g. --set schedule.epochs=3");
  }
  const std::string key = assignment.substr(0, equals);
  const std::string value = assignment.substr(equals + 1);
  const bool declared =
      std::any_of(keys.begin(), keys.end(), [&](const KeySpec& spec) { return spec.key == key; });
  if (!declared)
    RAISE("--set " << assignment << ": unknown key '" << key << "'" << suggestion(key, keys));
  std::vector<std::string> parts;
  std::stringstream stream(key);
  for (std::string part; std::getline(stream, part, '.');) parts.push_back(part);
  // yaml-cpp nodes are handles: walk by reassigning a copy of the handle.
  std::vector<YAML::Node> chain{root};
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    YAML::Node child = chain.back()[parts[i]];
    if (!child.IsDefined() || child.IsNull()) {
      chain.back()[parts[i]] = YAML::Node(YAML::NodeType::Map);
      child = chain.back()[parts[i]];
    }
    chain.push_back(child);
  }
  try {
    chain.back()[parts.back()] = YAML::Load(value);
  } catch (const YAML::Exception& error) {
    RAISE("--set " << assignment << ": the value is not valid YAML: " << error.msg);
  }
}

std::string effective_yaml(const RunConfig& config, const std::vector<KeySpec>& keys) {
  // Rebuild a nested tree from the declared keys' current values.
  YAML::Node root(YAML::NodeType::Map);
  for (const auto& spec : keys) {
    std::vector<std::string> parts;
    std::stringstream stream(spec.key);
    for (std::string part; std::getline(stream, part, '.');) parts.push_back(part);
    std::vector<YAML::Node> chain{root};
    for (size_t i = 0; i + 1 < parts.size(); ++i) chain.push_back(chain.back()[parts[i]]);
    // A string is stored as a string: parsed again as YAML, a path holding ": " or "[" would
    // fail to parse or turn into a map or a list.
    const bool is_string = spec.type == "string" || !spec.choices.empty();
    chain.back()[parts.back()] =
        is_string ? YAML::Node(spec.show(config)) : YAML::Load(spec.show(config));
  }
  YAML::Emitter out;
  out << root;
  return std::string(out.c_str()) + "\n";
}

void check_consistency(const RunConfig& config, const std::string& source) {
  REQUIRE(!config.data.path.empty(), source << ": key 'data.path' is required (a directory "
                                               "written by `slateconvert finn`)");
  const std::string& metric = config.evaluation.metric;
  bool known = metric == "loglik";
  for (const char* name : {"hitrate@", "hits@", "ndcg@", "mrr@", "recall@", "coverage@"}) {
    const std::string prefix = name;
    if (metric.compare(0, prefix.size(), prefix) == 0) {
      const int k = std::atoi(metric.c_str() + prefix.size());
      known = std::find(config.evaluation.k.begin(), config.evaluation.k.end(), k) !=
              config.evaluation.k.end();
      if (!known) {
        RAISE(source << ": key 'evaluation.metric' is '" << metric << "' but " << k
                     << " is not in evaluation.k");
      }
    }
  }
  REQUIRE(known, source << ": key 'evaluation.metric' is '" << metric
                        << "'; use loglik or one of hitrate@k, hits@k, ndcg@k, mrr@k, recall@k, "
                           "coverage@k");
}

}  // namespace

RunConfig parse_run_config(const std::string& yaml_text, const std::string& source_name,
                           const std::vector<std::string>& overrides) {
  const auto keys = declared_keys();
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& error) {
    RAISE(source_name << ":" << error.mark.line + 1 << ": not valid YAML: " << error.msg);
  }
  if (root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
  if (!root.IsMap()) RAISE(source_name << ": the configuration must be a map of sections");
  RunConfig config;
  std::set<std::string> replaced;  // the keys the overrides set
  for (const auto& assignment : overrides)
    replaced.insert(assignment.substr(0, assignment.find('=')));
  read_tree(root, "", Origin{source_name, true}, keys, replaced, config);
  // Overrides are checked against the declared keys, then read like file values.
  for (const auto& assignment : overrides) {
    YAML::Node override_root(YAML::NodeType::Map);
    apply_override(override_root, assignment, keys);
    read_tree(override_root, "", Origin{"--set " + assignment, false}, keys, {}, config);
  }
  check_consistency(config, source_name);
  config.yaml = effective_yaml(config, keys);
  return config;
}

RunConfig load_run_config(const std::string& path, const std::vector<std::string>& overrides) {
  std::ifstream file(path);
  REQUIRE(file, path << ": cannot open the configuration file");
  std::stringstream text;
  text << file.rdbuf();
  return parse_run_config(text.str(), path, overrides);
}

std::string describe_run_config_keys() {
  const auto keys = declared_keys();
  const RunConfig defaults;
  std::ostringstream out;
  for (const auto& spec : keys) {
    out << "  " << spec.key << " (" << spec.type << ", default " << spec.show(defaults)
        << ")\n      " << spec.meaning << "\n";
  }
  return out.str();
}

std::vector<ConfigKeyInfo> run_config_keys() {
  const RunConfig defaults;
  std::vector<ConfigKeyInfo> infos;
  for (const auto& spec : declared_keys()) {
    ConfigKeyInfo info;
    info.key = spec.key;
    info.type = spec.type;
    info.default_value = spec.show(defaults);
    info.meaning = spec.meaning;
    info.numeric = spec.numeric;
    info.integer = spec.integer;
    info.range = spec.range;
    infos.push_back(info);
  }
  return infos;
}

std::string config_reference_markdown() {
  std::ostringstream out;
  out << "# Configuration reference\n\n"
         "<!-- Written by `slatetrain --config-reference` from the key declarations in\n"
         "     launch/run_config.cpp; tests/run_config_reference_test.cpp fails when this file\n"
         "     and the code differ. Regenerate: build/launch/slatetrain --config-reference >"
         " docs/CONFIG.md -->\n\n"
         "A run is configured by a YAML file of sections (`model:`, `optimizer:` with `dense:`"
         " and\n`embedding:`, ...) and by `--set section.key=value` overrides, applied in"
         " order after the\nfile (a repeated `--set` of one key: the last wins, as on any"
         " command line).\nThe value checked is the one the run uses: a file value that a `--set` "
         "replaces is not\n"
         "judged.\n\n"
         "Every value is checked against the range below when it is read. An error names"
         " the file\nand line (or the `--set`), the full key, the value and the range, e.g."
         "\n`config.yaml:12: optimizer.dense.beta1 = 1.5 is outside [0, 1)`. Numbers must be"
         " finite\n(`.nan` and `.inf` are refused). A key written twice in one map of the file"
         " (a section\ngiven twice, or a key twice in a section) is an error naming both lines:"
         " YAML parsers\nsilently keep one of them. Unknown keys are errors with the nearest"
         " declared key\nsuggested.\n\n"
         "Ranges: `[a, b)` includes a and excludes b; `> 0` excludes 0; `>= 1` includes 1."
         " Integer keys\nare also bounded by their storage (32-bit keys: at most 2147483647)."
         "\n\n"
         "| key | type and range | default | meaning |\n"
         "|---|---|---|---|\n";
  for (const auto& info : run_config_keys()) {
    std::string meaning = info.meaning;
    for (size_t at = meaning.find('|'); at != std::string::npos; at = meaning.find('|', at + 2)) {
      meaning.replace(at, 1, "\\|");
    }
    std::string type = info.type;
    for (size_t at = type.find('|'); at != std::string::npos; at = type.find('|', at + 2)) {
      type.replace(at, 1, "\\|");
    }
    out << "| `" << info.key << "` | " << type << " | `"
        << (info.default_value.empty() ? "\"\"" : info.default_value) << "` | " << meaning
        << " |\n";
  }
  out << "\n## Evaluation of an empty split\n\n"
         "A validation or test split with no user to rank (no user with a clicked item among"
         " its\nheld-out steps, e.g. `slateconvert finn --valid-fraction 0`) has no ranking"
         " metrics and no\nheld-out log-likelihood: they are written as `null` in"
         " metrics.jsonl and summary.json\n(never 0.0), with `users` 0, and rank 0 prints one"
         " warning line naming the split.\nThe run still exits 0: the other split's figures"
         " are valid. A null validation never\ncounts as an improvement, so it is never the"
         " best step. Early stopping\n(`evaluation.patience` > 0 with"
         " `evaluation.every_steps` > 0) needs validation figures: with\na validation split of"
         " no users (the manifest's count) the run is refused at start, before\nany training"
         " (exit 1, the message names both keys and the split).\n\n"
         "`evaluation.max_users` = N evaluates exactly min(N, the split's users) users on any"
         " number of\nranks: the batch that reaches N is trimmed (ranks in rank order) and the"
         " held-out\nlog-likelihood covers the same users' rows.\n";
  return out.str();
}

}  // namespace slatetrain
