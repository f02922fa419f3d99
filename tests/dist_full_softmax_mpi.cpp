// The full softmax over the sharded catalogue at 1, 2, 3 and 4 ranks against one reference
// computed in double on the whole table in one process: every rank's loss, its users'
// gradients, the gradients of the batch rows (the clicked items' own term) and of every row of
// its shard; and at one rank the loss against finite differences of the user vectors.
#include <gtest/gtest.h>
#include <mpi.h>

#include <cmath>
#include <memory>
#include <vector>

#include "core/backend.hpp"
#include "core/random.hpp"
#include "dist/mpi_communicator.hpp"
#include "dist/sharded_embedding.hpp"
#include "models/full_softmax_objective.hpp"
#include "models/row_requests.hpp"

namespace slatetrain {
namespace {

constexpr int64_t kItems = 103;  // ids 0-2 are not items; not a multiple of 2, 3 or 4
constexpr int64_t kDim = 5;
constexpr int kUsers = 2, kSteps = 4;
constexpr uint64_t kSeed = 91;

ShardedEmbeddingOptions table_options() {
  ShardedEmbeddingOptions options;
  options.num_items = kItems;
  options.dim = kDim;
  options.seed = kSeed;
  options.init_scale = 0.6f;
  return options;
}

// Rank `rank`'s batch: items at most steps, a padded step, one step outside the mask; rank 1
// has no loss step at all (it still takes part in every collective).
SequenceBatch batch_of(int rank) {
  SequenceBatch batch;
  batch.batch_users = batch.valid_users = kUsers;
  batch.max_steps = kSteps;
  batch.user_row = {10 * rank, 10 * rank + 1};
  batch.split = {0, 0};
  for (int i = 0; i < kUsers * kSteps; ++i) {
    const uint64_t bits = hash_mix(rank, i);
    batch.item.push_back(i == 3 ? 0 : static_cast<int32_t>(3 + bits % (kItems - 3)));
    batch.interaction_type.push_back(0);
    batch.step_mask.push_back(rank != 1 && i != 5 && i != 3);
  }
  return batch;
}

// Rank `rank`'s user vectors [B*T, D].
std::vector<float> users_of(int rank) {
  std::vector<float> users;
  for (int i = 0; i < kUsers * kSteps * kDim; ++i)
    users.push_back(static_cast<float>(to_unit_double(hash_mix(500 + rank, i)) * 2.0 - 1.0));
  return users;
}

double entry(int64_t item, int64_t column) {
  return ShardedEmbedding::initial_value(kSeed, 0.6f, item, column);
}

// The reference over every rank's loss steps, in double on the whole table.
struct Reference {
  std::vector<double> loss;                   // [world] each rank's summed loss
  std::vector<std::vector<double>> duser;     // [world][B*T*D]
  std::vector<std::vector<double>> dtable;    // the catalogue term [kItems * D]
  std::vector<std::vector<double>> dclicked;  // [world][kItems * D] the clicked items' term
};

Reference reference(int world, double scale) {
  Reference out;
  out.dtable.assign(1, std::vector<double>(kItems * kDim, 0.0));
  for (int r = 0; r < world; ++r) {
    const SequenceBatch batch = batch_of(r);
    const std::vector<float> users = users_of(r);
    out.loss.push_back(0.0);
    out.duser.emplace_back(users.size(), 0.0);
    out.dclicked.emplace_back(kItems * kDim, 0.0);
    for (int i = 0; i < kUsers * kSteps; ++i) {
      if (!batch.step_mask[i] || batch.item[i] < 3) continue;
      std::vector<double> score(kItems, 0.0);
      double largest = -1e300;
      for (int64_t item = 3; item < kItems; ++item) {
        for (int64_t c = 0; c < kDim; ++c) score[item] += users[i * kDim + c] * entry(item, c);
        largest = std::max(largest, score[item]);
      }
      double sum = 0;
      for (int64_t item = 3; item < kItems; ++item) sum += std::exp(score[item] - largest);
      const double logsumexp = largest + std::log(sum);
      const int64_t clicked = batch.item[i];
      out.loss[r] += logsumexp - score[clicked];
      for (int64_t item = 3; item < kItems; ++item) {
        const double p = std::exp(score[item] - logsumexp);
        for (int64_t c = 0; c < kDim; ++c) {
          out.duser[r][i * kDim + c] += scale * p * entry(item, c);
          out.dtable[0][item * kDim + c] += scale * p * users[i * kDim + c];
        }
      }
      for (int64_t c = 0; c < kDim; ++c) {
        out.duser[r][i * kDim + c] -= scale * entry(clicked, c);
        out.dclicked[r][clicked * kDim + c] -= scale * users[i * kDim + c];
      }
    }
  }
  return out;
}

::testing::AssertionResult near(const char* what, const std::vector<float>& actual,
                                const std::vector<double>& expected, double tolerance) {
  if (actual.size() != expected.size())
    return ::testing::AssertionFailure()
           << what << ": " << actual.size() << " values, expected " << expected.size();
  for (size_t i = 0; i < actual.size(); ++i) {
    if (!(std::fabs(actual[i] - expected[i]) <= tolerance)) {
      return ::testing::AssertionFailure() << what << ": first bad index " << i << ": got "
                                           << actual[i] << ", expected " << expected[i];
    }
  }
  return ::testing::AssertionSuccess();
}

class FullSoftmaxTest : public ::testing::Test {
 protected:
  std::unique_ptr<Backend> backend_ = make_backend(Device::kCpu);
  MpiCommunicator world_;
  int rank() const { return world_.rank(); }
  int world() const { return world_.world_size(); }
};

TEST_F(FullSoftmaxTest, MatchesTheSingleProcessReference) {
  ShardedEmbedding table(world_, world_, *backend_, table_options());
  FullSoftmaxObjectiveConfig config;
  config.dim = kDim;
  config.score_budget_floats = 40;  // several chunks of rows
  FullSoftmaxObjective objective(*backend_, table, config);
  const SequenceBatch batch = batch_of(rank());
  RowRequests requests;
  const auto prepared = objective.prepare(batch, 0, requests);
  const std::vector<int64_t> ids = requests.finish();
  Tensor rows;
  const RowExchange exchange = table.lookup_unique(ids, rows);
  const std::vector<float> users = users_of(rank());
  const float scale = 0.5f;

  const double loss = objective.forward(*prepared, users.data(), rows.data<float>(),
                                        static_cast<int64_t>(ids.size()));
  const Reference expected = reference(world(), scale);
  EXPECT_NEAR(loss, expected.loss[rank()], 1e-4);

  std::vector<float> duser(users.size(), 7.0f), drows(ids.size() * kDim, 0.0f);
  objective.backward(duser.data(), drows.data(), scale);
  EXPECT_TRUE(near("duser", duser, expected.duser[rank()], 1e-5));
  std::vector<double> expected_drows;
  for (const int64_t id : ids)
    for (int64_t c = 0; c < kDim; ++c)
      expected_drows.push_back(expected.dclicked[rank()][id * kDim + c]);
  EXPECT_TRUE(near("drows", drows, expected_drows, 1e-5));
  const float* local = table.local_gradients();
  std::vector<float> dtable(local, local + table.local_rows() * kDim);
  std::vector<double> expected_dtable;
  for (int64_t row = 0; row < table.local_rows(); ++row)
    for (int64_t c = 0; c < kDim; ++c)
      expected_dtable.push_back(expected.dtable[0][table.item_of_local_row(row) * kDim + c]);
  EXPECT_TRUE(near("local dtable", dtable, expected_dtable, 1e-5));
  (void)exchange;
}

TEST_F(FullSoftmaxTest, UserGradientMatchesFiniteDifferencesOnOneRank) {
  if (world() != 1) GTEST_SKIP() << "one rank only";
  ShardedEmbedding table(world_, world_, *backend_, table_options());
  FullSoftmaxObjectiveConfig config;
  config.dim = kDim;
  FullSoftmaxObjective objective(*backend_, table, config);
  const SequenceBatch batch = batch_of(0);
  RowRequests requests;
  const auto prepared = objective.prepare(batch, 0, requests);
  const std::vector<int64_t> ids = requests.finish();
  Tensor rows;
  table.lookup_unique(ids, rows);
  std::vector<float> users = users_of(0);
  const int64_t U = static_cast<int64_t>(ids.size());
  objective.forward(*prepared, users.data(), rows.data<float>(), U);
  std::vector<float> duser(users.size()), drows(ids.size() * kDim, 0.0f);
  objective.backward(duser.data(), drows.data(), 1.0f);
  const double eps = 1e-2;
  for (size_t i = 0; i < users.size(); ++i) {
    const float saved = users[i];
    users[i] = static_cast<float>(saved + eps);
    const double plus = objective.forward(*prepared, users.data(), rows.data<float>(), U);
    users[i] = static_cast<float>(saved - eps);
    const double minus = objective.forward(*prepared, users.data(), rows.data<float>(), U);
    users[i] = saved;
    EXPECT_NEAR((plus - minus) / (2 * eps), duser[i], 2e-3) << "user entry " << i;
  }
}

}  // namespace
}  // namespace slatetrain
