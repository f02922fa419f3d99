// The model's view of a batch: id dedup, input events (clicks only / every step), the slate
// objective's targets (anomalies and masked slots left out, slates fetched for loss steps
// only), the sampled softmax's positives and counter-based negatives, and the refusal of
// interaction types outside the dataset's.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <random>
#include <vector>

#include "core/cpu_backend.hpp"
#include "core/error.hpp"
#include "models/batch_ids.hpp"
#include "models/model_batch.hpp"
#include "models/negative_sampler.hpp"
#include "models/parameter_buffer.hpp"
#include "models/sampled_softmax_objective.hpp"
#include "models/slate_objective.hpp"

namespace slatetrain {
namespace {

TEST(UniqueIds, SortsDeduplicatesAndRemaps) {
  const UniqueIds unique = unique_ids({5, 3, 5, 9, 3});
  EXPECT_EQ(unique.ids, (std::vector<int64_t>{3, 5, 9}));
  EXPECT_EQ(unique.index, (std::vector<int32_t>{1, 0, 1, 2, 0}));
  EXPECT_TRUE(unique_ids({}).ids.empty());
  EXPECT_THROW(unique_ids({4, -1}), Error);
}

// unique_ids picks one of three methods by the ids' range (a bitmap for ids near the input's
// size, a sort of packed integers, a sort of positions for ids of 2^40 and more): each must give
// the plain definition's answer, including ids at the ends of each 64-bit word.
TEST(UniqueIds, EveryMethodAgreesWithThePlainDefinition) {
  std::mt19937_64 random(12);
  const std::vector<int64_t> ranges = {
      1, 63, 64, 65, 1000, 1 << 20, int64_t{1} << 39, int64_t{1} << 50};
  for (const int64_t range : ranges) {
    for (const size_t size : {size_t{1}, size_t{7}, size_t{5000}}) {
      std::vector<int64_t> ids(size);
      for (int64_t& id : ids) id = static_cast<int64_t>(random() % static_cast<uint64_t>(range));
      ids[0] = range - 1;
      if (size > 1) ids[1] = 0;
      std::vector<int64_t> expected_ids = ids;
      std::sort(expected_ids.begin(), expected_ids.end());
      expected_ids.erase(std::unique(expected_ids.begin(), expected_ids.end()), expected_ids.end());
      const UniqueIds unique = unique_ids(ids);
      EXPECT_EQ(unique.ids, expected_ids) << "range " << range << " size " << size;
      ASSERT_EQ(unique.index.size(), ids.size());
      for (size_t i = 0; i < ids.size(); ++i) {
        ASSERT_EQ(unique.ids[static_cast<size_t>(unique.index[i])], ids[i])
            << "range " << range << " size " << size << " position " << i;
      }
    }
  }
}

// shapes: B = 2 (user 1 is padding), T = 3, S = 4.
SequenceBatch small_batch() {
  SequenceBatch batch;
  batch.batch_users = 2;
  batch.valid_users = 1;
  batch.max_steps = 3;
  batch.slate_slots = 4;
  batch.user_row = {17, -1};
  batch.split = {0, 0};
  batch.slate = {1, 4, 5, 2, 1, 4, 0, 0, 1, 6, 2, 0,  // user 0
                 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  batch.item = {5, 7, 1, 0, 0, 0};  // step 1: the clicked 7 is not at slate[0] (anomaly)
  batch.click_idx = {2, 0, 0, 0, 0, 0};
  batch.slate_length = {4, 2, 3, 0, 0, 0};
  batch.interaction_type = {1, 2, 1, 0, 0, 0};
  batch.step_mask = {1, 1, 1, 0, 0, 0};
  batch.masked_steps = 3;
  batch.real_steps = 3;
  return batch;
}

// A uniform sampler over ids 3..9.
NegativeSamplerConfig uniform_sampler() {
  NegativeSamplerConfig config;
  config.num_items = 10;
  return config;
}

SampledSoftmaxObjectiveConfig sampled_config() {
  SampledSoftmaxObjectiveConfig config;
  config.dim = 2;
  config.negatives = 2;
  config.sampler = uniform_sampler();
  config.log_q_correction = false;
  config.remove_accidental_hits = false;
  return config;
}

// A slate objective and a sampled softmax over the ids of small_batch.
struct Objectives {
  CpuBackend backend{1};
  ParameterBuffer parameters;
  SlateObjective slate{backend, parameters, SlateObjectiveConfig{IdConventions{}, 2, 27}};
  SampledSoftmaxObjective sampled{backend, sampled_config()};
};

const SlateObjectiveBatch& slate_part(const ModelBatch& batch) {
  return dynamic_cast<const SlateObjectiveBatch&>(*batch.objective);
}

TEST(BuildModelBatch, SlateTargetsInputsAndRows) {
  Objectives objectives;
  const ModelBatch model_batch = build_model_batch(small_batch(), {}, &objectives.slate, 0);
  EXPECT_EQ(model_batch.unique_ids, (std::vector<int64_t>{4, 5, 6, 7}));
  const SlateObjectiveBatch& slate = slate_part(model_batch);
  EXPECT_EQ(slate.loss_step, (std::vector<uint8_t>{1, 0, 1, 0, 0, 0}));
  EXPECT_EQ(slate.target, (std::vector<int32_t>{2, 0, 0, 0, 0, 0}));
  EXPECT_EQ(model_batch.loss_steps(), 2);
  EXPECT_EQ(model_batch.has_input, (std::vector<uint8_t>{1, 1, 0, 0, 0, 0}));
  EXPECT_EQ(model_batch.input_rows, (std::vector<int32_t>{1, 3, -1, -1, -1, -1}));
  // Slot 0 and ids <= 2 are -1; the anomaly step's slate is not fetched; padding is -1.
  const std::vector<int32_t> expected_slate_rows = {-1, 0,  1,  -1, -1, -1, -1, -1, -1, 2,  -1, -1,
                                                    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1};
  EXPECT_EQ(slate.slate_rows, expected_slate_rows);
  EXPECT_EQ(slate.slate_length, (std::vector<int32_t>{4, 2, 3, 0, 0, 0}));
  const SequenceInputs inputs = model_batch.sequence_inputs();
  EXPECT_EQ(inputs.num_rows, 4);
  EXPECT_EQ(inputs.user_row[0], 17);
}

TEST(BuildModelBatch, EveryStepInputFeedsTheNoClickId) {
  SequenceInputOptions options;
  options.input_every_step = true;
  const ModelBatch model_batch = build_model_batch(small_batch(), options, nullptr, 0);
  EXPECT_EQ(model_batch.unique_ids, (std::vector<int64_t>{1, 5, 7}));
  EXPECT_EQ(model_batch.has_input, (std::vector<uint8_t>{1, 1, 1, 0, 0, 0}));
  EXPECT_EQ(model_batch.input_rows[2], 0);  // id 1
  EXPECT_EQ(model_batch.objective, nullptr);
  EXPECT_EQ(model_batch.loss_steps(), 0);
}

TEST(BuildModelBatch, HeldOutPhaseReplaysHistoryWithoutItsSlates) {
  Objectives objectives;
  SequenceBatch batch = small_batch();
  batch.step_mask = {0, 0, 1, 0, 0, 0};  // only step 2 is evaluated
  const ModelBatch model_batch = build_model_batch(batch, {}, &objectives.slate, 0);
  EXPECT_EQ(model_batch.has_input, (std::vector<uint8_t>{1, 1, 0, 0, 0, 0}));
  EXPECT_EQ(slate_part(model_batch).loss_step, (std::vector<uint8_t>{0, 0, 1, 0, 0, 0}));
  EXPECT_EQ(model_batch.unique_ids, (std::vector<int64_t>{5, 6, 7}));
  for (int s = 0; s < 4; ++s)
    EXPECT_EQ(slate_part(model_batch).slate_rows[s], -1) << "step 0 slot " << s;
}

TEST(BuildModelBatch, SampledSoftmaxPositivesAndNegatives) {
  Objectives objectives;
  const SequenceBatch batch = small_batch();
  const int K = 2;
  const ModelBatch model_batch = build_model_batch(batch, {}, &objectives.sampled, 99);
  const auto& sampled = dynamic_cast<const SampledSoftmaxBatch&>(*model_batch.objective);
  const std::vector<int32_t> negatives =
      make_negative_sampler(uniform_sampler())->draw(batch, sampled.loss_step, K, 99).ids;
  // Real clicks (5 at step 0, 7 at step 1, the anomaly included) are loss steps.
  EXPECT_EQ(model_batch.loss_steps(), 2);
  const auto& ids = model_batch.unique_ids;
  EXPECT_EQ(ids[sampled.positive[0]], 5);
  EXPECT_EQ(ids[sampled.positive[1]], 7);
  EXPECT_EQ(sampled.positive[2], -1);
  for (int step = 0; step < 2; ++step) {
    for (int k = 0; k < K; ++k) {
      EXPECT_EQ(ids[sampled.negative[step * K + k]], negatives[step * K + k]);
    }
  }
  EXPECT_EQ(sampled.negative[2 * K], -1);
  // No slate rows are fetched for a sampled softmax: only inputs, positives and negatives.
  for (const int64_t id : ids) {
    const bool drawn =
        std::find(negatives.begin(), negatives.begin() + 2 * K, id) != negatives.begin() + 2 * K;
    EXPECT_TRUE(id == 5 || id == 7 || drawn) << "row of id " << id;
  }
}

TEST(BuildModelBatch, InteractionTypesOutsideTheDatasetAreRefused) {
  SequenceInputOptions options;
  options.interaction_types = 2;  // types 0 and 1: the batch's type 2 at step 1 is refused
  EXPECT_THROW(build_model_batch(small_batch(), options, nullptr, 0), Error);
}

TEST(NegativeSamplers, UniformItemsThatDependOnTheUserNotThePosition) {
  SequenceBatch batch = small_batch();
  const auto sampler = make_negative_sampler(uniform_sampler());
  const std::vector<uint8_t> loss_step = {1, 1, 1, 0, 0, 0};
  const NegativeDraws first = sampler->draw(batch, loss_step, 4, 7);
  ASSERT_EQ(first.ids.size(), 2u * 3 * 4);
  for (size_t i = 0; i < 12; ++i) {
    EXPECT_GE(first.ids[i], 3) << i;
    EXPECT_LT(first.ids[i], 10) << i;
    EXPECT_DOUBLE_EQ(first.negative_log_q[i], -std::log(7.0)) << i;
  }
  for (size_t i = 12; i < first.ids.size(); ++i) EXPECT_EQ(first.ids[i], 0) << "padding, " << i;
  // The same user in the other batch position draws the same ids; another seed differs.
  batch.user_row = {-1, 17};
  const NegativeDraws moved = sampler->draw(batch, {0, 0, 0, 1, 1, 1}, 4, 7);
  EXPECT_EQ(std::vector<int32_t>(moved.ids.begin() + 12, moved.ids.end()),
            std::vector<int32_t>(first.ids.begin(), first.ids.begin() + 12));
  EXPECT_NE(sampler->draw(small_batch(), loss_step, 4, 8).ids, first.ids);
}

// Draw frequencies against the q each sampler reports: with many draws every candidate's
// share must lie within 5 standard errors of its q (a binomial bound, not a tuned tolerance).
void expect_frequencies_match_q(const NegativeSampler& sampler, const SequenceBatch& batch,
                                const std::vector<uint8_t>& loss_step, int K) {
  SCOPED_TRACE(sampler.name());
  std::map<int32_t, double> log_q;
  std::map<int32_t, int64_t> count;
  int64_t draws = 0;
  for (uint64_t seed = 0; seed < 400; ++seed) {
    const NegativeDraws drawn = sampler.draw(batch, loss_step, K, seed);
    for (size_t i = 0; i < drawn.ids.size(); ++i) {
      if (!loss_step[i / K]) continue;
      ++count[drawn.ids[i]];
      ++draws;
      const auto known = log_q.find(drawn.ids[i]);
      if (known != log_q.end()) {
        EXPECT_DOUBLE_EQ(known->second, drawn.negative_log_q[i]);
      }
      log_q[drawn.ids[i]] = drawn.negative_log_q[i];
    }
  }
  double total_q = 0;
  for (const auto& [item, value] : log_q) {
    const double q = std::exp(value);
    total_q += q;
    const double share = static_cast<double>(count[item]) / static_cast<double>(draws);
    const double standard_error = std::sqrt(q * (1 - q) / static_cast<double>(draws));
    EXPECT_LE(std::fabs(share - q), 5 * standard_error + 1e-12)
        << "item " << item << ": drawn " << share << ", q " << q;
  }
  EXPECT_LE(total_q, 1.0 + 1e-9);
}

TEST(NegativeSamplers, DrawFrequenciesMatchTheirProbabilities) {
  // 4 users x 3 steps with items 3..9, some repeated (the in-batch pool counts repeats).
  SequenceBatch batch;
  batch.batch_users = batch.valid_users = 4;
  batch.max_steps = 3;
  batch.user_row = {0, 1, 2, 3};
  batch.item = {3, 4, 4, 5, 4, 9, 3, 3, 7, 6, 4, 8};
  const std::vector<uint8_t> loss_step(12, 1);
  NegativeSamplerConfig config = uniform_sampler();
  const auto counts = std::make_shared<std::vector<int64_t>>(10, 0);
  (*counts)[3] = 40;
  (*counts)[4] = 10;
  (*counts)[9] = 2;
  config.counts = counts;
  for (const char* kind : {"uniform", "popularity", "in_batch", "mixed"}) {
    config.kind = kind;
    expect_frequencies_match_q(*make_negative_sampler(config), batch, loss_step, 4);
  }
  // The positive's q is its own draw probability: popularity (count + 1)^0.75 over the total.
  config.kind = "popularity";
  const NegativeDraws drawn = make_negative_sampler(config)->draw(batch, loss_step, 4, 1);
  double total = 0;
  for (int64_t item = 3; item < 10; ++item) total += std::pow((*counts)[item] + 1.0, 0.75);
  EXPECT_NEAR(drawn.positive_log_q[0], std::log(std::pow(41.0, 0.75) / total), 1e-12);
  config.kind = "bogus";
  EXPECT_THROW(make_negative_sampler(config), Error);
  config.kind = "popularity";
  config.counts = nullptr;
  EXPECT_THROW(make_negative_sampler(config), Error);
}

TEST(SampledSoftmaxObjective, LeavesOutAccidentalHitsAndCorrectsLogQ) {
  CpuBackend backend(1);
  SampledSoftmaxObjectiveConfig config = sampled_config();
  config.negatives = 8;
  config.remove_accidental_hits = true;
  config.log_q_correction = true;
  config.sampler.kind = "in_batch";
  SampledSoftmaxObjective objective(backend, config);
  RowRequests requests;
  const SequenceBatch batch = small_batch();  // loss steps: items 5 and 7
  const auto prepared = objective.prepare(batch, 3, requests);
  const std::vector<int64_t> ids = requests.finish();
  const auto& sampled = dynamic_cast<const SampledSoftmaxBatch&>(*prepared);
  for (int step = 0; step < 2; ++step) {
    const int64_t positive = ids[sampled.positive[step]];
    int kept = 0;
    for (int k = 0; k < 8; ++k) {
      const int32_t row = sampled.negative[step * 8 + k];
      if (row < 0) continue;
      ++kept;
      EXPECT_NE(ids[row], positive) << "step " << step << " draw " << k;
      // In-batch q of the other item is 1/2: c = log(8 * 1/2).
      EXPECT_NEAR(sampled.logit_offset[step * 9 + k + 1], -std::log(4.0), 1e-6);
    }
    EXPECT_GT(kept, 0) << "step " << step;
    EXPECT_LT(kept, 8) << "with two batch items some draws hit the positive";
    EXPECT_NEAR(sampled.logit_offset[step * 9], -std::log(4.0), 1e-6);
  }
}

// objective.shared_negatives: one set of K draws per step seed, whoever is in the batch; every
// loss step scored against it less its own item; the loss is the per-step loss on those rows.
TEST(SampledSoftmaxObjective, SharedNegativesAreOneDrawForTheWholeBatch) {
  CpuBackend backend(1);
  SampledSoftmaxObjectiveConfig config = sampled_config();
  const int K = 6;
  config.negatives = K;
  config.shared_negatives = true;
  config.remove_accidental_hits = true;
  config.log_q_correction = true;
  config.sampler.kind = "popularity";
  config.sampler.counts =
      std::make_shared<std::vector<int64_t>>(std::vector<int64_t>{0, 0, 0, 4, 9, 1, 0, 3, 2, 7});
  SampledSoftmaxObjective objective(backend, config);

  // Two users (rows 17 and 30) with loss steps on items 5, 7 and 4, 8.
  SequenceBatch batch = small_batch();
  batch.valid_users = 2;
  batch.user_row = {17, 30};
  batch.item = {5, 7, 1, 4, 8, 0};
  batch.step_mask = {1, 1, 1, 1, 1, 0};
  RowRequests requests;
  const auto prepared = objective.prepare(batch, 11, requests);
  const std::vector<int64_t> ids = requests.finish();
  const auto& sampled = dynamic_cast<const SampledSoftmaxBatch&>(*prepared);
  ASSERT_EQ(sampled.loss_steps, 4);
  ASSERT_EQ(static_cast<int>(sampled.shared_ids.size()), K);

  // The same draws for a batch of other users (another rank's, or another split).
  SequenceBatch other = batch;
  other.user_row = {99, 3};
  RowRequests other_requests;
  const auto other_prepared = objective.prepare(other, 11, other_requests);
  EXPECT_EQ(dynamic_cast<const SampledSoftmaxBatch&>(*other_prepared).shared_ids,
            sampled.shared_ids);
  // And other draws at another step.
  RowRequests next_requests;
  EXPECT_NE(dynamic_cast<const SampledSoftmaxBatch&>(*objective.prepare(batch, 12, next_requests))
                .shared_ids,
            sampled.shared_ids);

  // Only the positives and the K draws are fetched.
  for (const int64_t id : ids) {
    const bool drawn = std::find(sampled.shared_ids.begin(), sampled.shared_ids.end(), id) !=
                       sampled.shared_ids.end();
    EXPECT_TRUE(id == 5 || id == 7 || id == 4 || id == 8 || drawn) << "row of id " << id;
  }
  for (int k = 0; k < K; ++k) EXPECT_EQ(ids[sampled.shared_rows[k]], sampled.shared_ids[k]);

  // The loss: each loss step's softmax over its positive and the draws that are not its own
  // item, with the log-Q offsets of the popularity sampler.
  const int64_t n = batch.batch_users * batch.max_steps;
  std::vector<float> user(static_cast<size_t>(n * 2)), rows(ids.size() * 2);
  std::mt19937 generator(5);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (float& value : user) value = normal(generator);
  for (float& value : rows) value = normal(generator);
  double expected = 0;
  bool some_hit = false;
  for (int64_t step = 0; step < n; ++step) {
    if (!sampled.loss_step[step]) continue;
    auto logit = [&](int32_t row, int slot) {
      const float offset =
          slot == 0 ? sampled.positive_offset[step] : sampled.shared_offset[slot - 1];
      return user[step * 2] * rows[row * 2] + user[step * 2 + 1] * rows[row * 2 + 1] +
             double(offset);
    };
    const double positive = logit(sampled.positive[step], 0);
    double denominator = std::exp(positive);
    for (int k = 0; k < K; ++k) {
      if (sampled.shared_ids[k] == batch.item[step]) {
        some_hit = true;
        continue;
      }
      denominator += std::exp(logit(sampled.shared_rows[k], k + 1));
    }
    expected += std::log(denominator) - positive;
  }
  EXPECT_TRUE(some_hit) << "the test means to cover an accidental hit: draw more";
  // The popularity sampler's log-Q: q(i) = (clicks_i + 1)^0.75 / the sum over items 3..9.
  const std::vector<int64_t>& clicks = *config.sampler.counts;
  double total = 0;
  for (int64_t item = 3; item < 10; ++item) total += std::pow(clicks[item] + 1.0, 0.75);
  for (int k = 0; k < K; ++k) {
    const double q = std::pow(clicks[sampled.shared_ids[k]] + 1.0, 0.75) / total;
    EXPECT_NEAR(sampled.shared_offset[k], -std::log(K * q), 1e-5) << "draw " << k;
  }
  EXPECT_NEAR(
      objective.forward(*prepared, user.data(), rows.data(), static_cast<int64_t>(ids.size())),
      expected, 1e-5);

  // The batch's own items are not a catalogue draw to share.
  config.sampler.kind = "in_batch";
  EXPECT_THROW(SampledSoftmaxObjective(backend, config), Error);
}

}  // namespace
}  // namespace slatetrain
