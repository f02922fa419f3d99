#include "models/negative_sampler.hpp"

#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "core/error.hpp"
#include "core/random.hpp"

namespace slatetrain {

namespace {

// Streams of the samplers' draws, so the halves of a mixed sampler are independent (uniform
// draws use the seed itself).
constexpr uint64_t kCatalogueStream = 0x706f70;  // "pop"
constexpr uint64_t kBatchStream = 0x626174;      // "bat"

NegativeDraws empty_draws(int64_t n, int K, const IdConventions& ids) {
  NegativeDraws draws;
  draws.ids.assign(static_cast<size_t>(n * K), static_cast<int32_t>(ids.pad));
  draws.negative_log_q.assign(static_cast<size_t>(n * K), 0.0);
  draws.positive_log_q.assign(static_cast<size_t>(n), 0.0);
  return draws;
}

// The bits of the draws of step i of the batch: draw k's are hash_mix(seed, user row, t * K + k),
// a function of (seed, user row, i's step t, k) and not of how a batch is split. The hash of the
// seed and the user is made once per step, not once per draw (hundreds of draws per step).
class StepDraws {
 public:
  StepDraws(const SequenceBatch& batch, uint64_t seed, int64_t step, int K)
      : key_(hash_key(seed, static_cast<uint64_t>(batch.user_row[step / batch.max_steps]))),
        first_counter_(static_cast<uint64_t>((step % batch.max_steps) * K)) {}
  uint64_t bits(int k) const { return hash_with_key(key_, first_counter_ + k); }

 private:
  uint64_t key_;
  uint64_t first_counter_;
};

class UniformSampler final : public NegativeSampler {
 public:
  explicit UniformSampler(const NegativeSamplerConfig& config)
      : ids_(config.ids),
        range_(static_cast<uint64_t>(config.num_items - config.ids.first_item)),
        log_q_(-std::log(static_cast<double>(range_))) {
    REQUIRE(config.num_items > config.ids.first_item,
            "negative sampler: a catalogue of " << config.num_items << " ids has no items");
  }
  std::string name() const override { return "uniform"; }

  NegativeDraws draw(const SequenceBatch& batch, const std::vector<uint8_t>& loss_step, int K,
                     uint64_t seed) const override {
    const int64_t n = static_cast<int64_t>(loss_step.size());
    NegativeDraws draws = empty_draws(n, K, ids_);
    for (int64_t i = 0; i < n; ++i) {
      if (!loss_step[i]) continue;
      draws.positive_log_q[i] = log_q_;
      const StepDraws step(batch, seed, i, K);
      for (int k = 0; k < K; ++k) draw_one(step, i, K, k, draws);
    }
    return draws;
  }

  // Fills draw k of step i.
  void draw_one(const StepDraws& step, int64_t i, int K, int k, NegativeDraws& draws) const {
    const double u = to_unit_double(step.bits(k));
    const uint64_t offset = std::min(range_ - 1, static_cast<uint64_t>(u * range_));
    draws.ids[i * K + k] = static_cast<int32_t>(ids_.first_item + offset);
    draws.negative_log_q[i * K + k] = log_q_;
  }
  double log_q() const { return log_q_; }

 private:
  IdConventions ids_;
  uint64_t range_;
  double log_q_;
};

class PopularitySampler final : public NegativeSampler {
 public:
  explicit PopularitySampler(const NegativeSamplerConfig& config) : ids_(config.ids) {
    REQUIRE(config.counts && static_cast<int64_t>(config.counts->size()) == config.num_items,
            "the popularity sampler needs the training click count of every item");
    REQUIRE(config.power >= 0, "objective.sampler_power must be >= 0, not " << config.power);
    std::vector<double> weights;
    for (int64_t item = ids_.first_item; item < config.num_items; ++item) {
      weights.push_back(std::pow(static_cast<double>((*config.counts)[item]) + 1.0, config.power));
    }
    double total = 0;
    for (const double w : weights) total += w;
    log_q_.reserve(weights.size());
    for (const double w : weights) log_q_.push_back(std::log(w / total));
    table_ = AliasTable(weights);
  }
  std::string name() const override { return "popularity"; }

  NegativeDraws draw(const SequenceBatch& batch, const std::vector<uint8_t>& loss_step, int K,
                     uint64_t seed) const override {
    const int64_t n = static_cast<int64_t>(loss_step.size());
    NegativeDraws draws = empty_draws(n, K, ids_);
    const uint64_t stream_seed = hash_mix(seed, kCatalogueStream);
    for (int64_t i = 0; i < n; ++i) {
      if (!loss_step[i]) continue;
      draws.positive_log_q[i] = log_q_[batch.item[i] - ids_.first_item];
      const StepDraws step(batch, stream_seed, i, K);
      for (int k = 0; k < K; ++k) {
        const uint32_t index = table_.draw(step.bits(k));
        draws.ids[i * K + k] = static_cast<int32_t>(ids_.first_item + index);
        draws.negative_log_q[i * K + k] = log_q_[index];
      }
    }
    return draws;
  }

 private:
  IdConventions ids_;
  std::vector<double> log_q_;  // [items] by item - first_item
  AliasTable table_;
};

// The items of a batch's loss steps, one entry per step: what in-batch negatives are drawn
// from, each item with probability its share of them.
class BatchItems {
 public:
  BatchItems(const SequenceBatch& batch, const std::vector<uint8_t>& loss_step) {
    for (size_t i = 0; i < loss_step.size(); ++i) {
      if (!loss_step[i]) continue;
      pool_.push_back(batch.item[i]);
      ++occurrences_[batch.item[i]];
    }
  }
  bool empty() const { return pool_.empty(); }
  // An entry of the pool from a uniform u in [0, 1).
  int32_t pick(double u) const {
    return pool_[std::min(pool_.size() - 1, static_cast<size_t>(u * pool_.size()))];
  }
  // log of the item's share of the pool (-inf when it is not in it).
  double log_q(int32_t item) const {
    const auto found = occurrences_.find(item);
    return found == occurrences_.end()
               ? -INFINITY
               : std::log(static_cast<double>(found->second) / static_cast<double>(pool_.size()));
  }

 private:
  std::vector<int32_t> pool_;
  std::unordered_map<int32_t, int64_t> occurrences_;
};

// Draws among the batch's own loss-step items (the positives of the others).
class InBatchSampler final : public NegativeSampler {
 public:
  explicit InBatchSampler(const NegativeSamplerConfig& config) : ids_(config.ids) {}
  std::string name() const override { return "in_batch"; }

  NegativeDraws draw(const SequenceBatch& batch, const std::vector<uint8_t>& loss_step, int K,
                     uint64_t seed) const override {
    const int64_t n = static_cast<int64_t>(loss_step.size());
    NegativeDraws draws = empty_draws(n, K, ids_);
    const BatchItems items(batch, loss_step);
    if (items.empty()) return draws;
    const uint64_t stream_seed = batch_stream_seed(seed);
    for (int64_t i = 0; i < n; ++i) {
      if (!loss_step[i]) continue;
      draws.positive_log_q[i] = items.log_q(batch.item[i]);
      const StepDraws step(batch, stream_seed, i, K);
      for (int k = 0; k < K; ++k) draw_one(items, step, i, K, k, draws);
    }
    return draws;
  }

  static uint64_t batch_stream_seed(uint64_t seed) { return hash_mix(seed, kBatchStream); }

  // Draw k of step i; `step` made with batch_stream_seed(seed).
  void draw_one(const BatchItems& items, const StepDraws& step, int64_t i, int K, int k,
                NegativeDraws& draws) const {
    const int32_t item = items.pick(to_unit_double(step.bits(k)));
    draws.ids[i * K + k] = item;
    draws.negative_log_q[i * K + k] = items.log_q(item);
  }

 private:
  IdConventions ids_;
};

// Half the draws from the batch (rounded down), the rest uniform (mixed negative sampling);
// every candidate's q is the average of the two distributions.
class MixedSampler final : public NegativeSampler {
 public:
  explicit MixedSampler(const NegativeSamplerConfig& config)
      : ids_(config.ids), in_batch_(config), uniform_(config) {}
  std::string name() const override { return "mixed"; }

  NegativeDraws draw(const SequenceBatch& batch, const std::vector<uint8_t>& loss_step, int K,
                     uint64_t seed) const override {
    const int64_t n = static_cast<int64_t>(loss_step.size());
    NegativeDraws draws = empty_draws(n, K, ids_);
    const BatchItems items(batch, loss_step);
    if (items.empty()) return draws;
    const int batch_draws = K / 2;
    const double uniform_q = std::exp(uniform_.log_q());
    auto mixture_log_q = [&](int32_t item) {
      return std::log(0.5 * std::exp(items.log_q(item)) + 0.5 * uniform_q);
    };
    const uint64_t batch_seed = InBatchSampler::batch_stream_seed(seed);
    for (int64_t i = 0; i < n; ++i) {
      if (!loss_step[i]) continue;
      draws.positive_log_q[i] = mixture_log_q(batch.item[i]);
      const StepDraws batch_step(batch, batch_seed, i, K);
      const StepDraws uniform_step(batch, seed, i, K);
      for (int k = 0; k < K; ++k) {
        if (k < batch_draws) {
          in_batch_.draw_one(items, batch_step, i, K, k, draws);
        } else {
          uniform_.draw_one(uniform_step, i, K, k, draws);
        }
        draws.negative_log_q[i * K + k] = mixture_log_q(draws.ids[i * K + k]);
      }
    }
    return draws;
  }

 private:
  IdConventions ids_;
  InBatchSampler in_batch_;
  UniformSampler uniform_;
};

}  // namespace

std::unique_ptr<NegativeSampler> make_negative_sampler(const NegativeSamplerConfig& config) {
  if (config.kind == "uniform") return std::make_unique<UniformSampler>(config);
  if (config.kind == "popularity") return std::make_unique<PopularitySampler>(config);
  if (config.kind == "in_batch") return std::make_unique<InBatchSampler>(config);
  if (config.kind == "mixed") return std::make_unique<MixedSampler>(config);
  RAISE(
      "objective.sampler '" << config.kind
                            << "' is not a sampler (known: uniform, popularity, in_batch, mixed)");
}

}  // namespace slatetrain
