// The item prior of the sharded table (dist/item_prior.hpp) at 1, 2, 3 and 4 ranks: the lazy
// form (rows caught up in closed form when read or updated) against a dense reference written
// here (the prior applied to every row of one full table at every step, then the row
// optimizer, then the group refresh), with a varying learning rate and rows touched rarely or
// never; the dense option (prior.every_step) against the same reference; a never-touched row
// ending at its group's vector; a save/load of the rows and group state continuing bit for bit;
// the device path (rows staged through host copies) run on the CPU backend; the closed-form
// catch-up against the gradient flow of the prior's loss; and the refresh
// against the MAP PyTorch's L-BFGS finds (tests/fixtures/make_item_prior_fixture.py).
#include <gtest/gtest.h>
#include <mpi.h>

#include <cmath>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <vector>

#include "core/backend.hpp"
#include "core/random.hpp"
#include "dist/item_prior.hpp"
#include "dist/mpi_communicator.hpp"
#include "dist/sharded_embedding.hpp"

namespace slatetrain {
namespace {

constexpr int64_t kItems = 103;
constexpr int64_t kDim = 5;
constexpr uint64_t kSeed = 91;
constexpr float kInitScale = 0.5f;
constexpr int64_t kGroups = 3;
constexpr int64_t kNeverTouched = 100;  // items kNeverTouched.. are never in a batch

int32_t group_of(int64_t item) {
  return static_cast<int32_t>((item * 7) % kGroups);
}

struct PriorSetup {
  ItemPriorKind kind = ItemPriorKind::kGroup;
  bool learn_sigma = true;
  bool every_step = false;
  float weight = 0.1f;
  float sigma = 0.5f;
  int64_t refresh_steps = 4;
  bool staged = false;  // the device backends' path: rows through host copies
};

ShardedEmbeddingOptions prior_options(const PriorSetup& setup) {
  ShardedEmbeddingOptions options;
  options.num_items = kItems;
  options.dim = kDim;
  options.seed = kSeed;
  options.init_scale = kInitScale;
  options.optimizer.kind = RowOptimizerKind::kAdam;
  options.prior.kind = setup.kind;
  options.prior.weight = setup.weight;
  options.prior.sigma = setup.sigma;
  options.prior.learn_sigma = setup.learn_sigma;
  options.prior.sigma_min = 1e-3f;
  options.prior.refresh_steps = setup.refresh_steps;
  options.prior.every_step = setup.every_step;
  options.stage_prior_rows = setup.staged;
  if (setup.kind == ItemPriorKind::kGroup) {
    for (int64_t item = 0; item < kItems; ++item) options.item_groups.push_back(group_of(item));
    options.item_group_count = kGroups;
  }
  return options;
}

float learning_rate(int step) {
  return 0.05f * static_cast<float>(1 + step % 3);
}

// A few ids per rank per step (most rows are touched rarely), one shared hot id, repeats.
std::vector<int64_t> batch_ids(int rank, int step) {
  std::vector<int64_t> ids = {7};
  for (int i = 0; i < 3; ++i)
    ids.push_back(static_cast<int64_t>(hash_mix(500 + step, rank, i) % kNeverTouched));
  ids.push_back(ids.back());
  return ids;
}

// Multiples of 1/8 in [-1, 1]: every sum is exact in any order.
float position_gradient(int rank, int step, int position, int64_t column) {
  return static_cast<float>(
             static_cast<int>(hash_mix(600 + step, rank * 100 + position, column) % 17) - 8) /
         8.0f;
}

// One step of the sharded table; returns the looked-up rows by id.
std::map<int64_t, std::vector<float>> sharded_step(ShardedEmbedding& embedding, Backend& backend,
                                                   int rank, int step) {
  const std::vector<int64_t> ids = batch_ids(rank, step);
  Tensor rows;
  RowExchange exchange = embedding.lookup(ids.data(), static_cast<int64_t>(ids.size()), rows);
  const int64_t unique_count = static_cast<int64_t>(exchange.unique_ids.size());
  std::vector<float> gradients;
  for (size_t i = 0; i < ids.size(); ++i)
    for (int64_t j = 0; j < kDim; ++j)
      gradients.push_back(position_gradient(rank, step, static_cast<int>(i), j));
  Tensor drows(backend, {unique_count, kDim}, DType::kFloat32);
  drows.zero();
  backend.embedding_backward(drows.data<float>(), gradients.data(), exchange.index.data(),
                             static_cast<int64_t>(ids.size()), kDim, unique_count);
  embedding.backward_and_update(exchange, drows.data<float>(), learning_rate(step));
  std::map<int64_t, std::vector<float>> looked_up;
  const std::vector<float> host = rows.to_host<float>();
  for (int64_t u = 0; u < unique_count; ++u)
    looked_up[exchange.unique_ids[u]] =
        std::vector<float>(host.begin() + u * kDim, host.begin() + (u + 1) * kDim);
  return looked_up;
}

// The dense reference: one full table, the prior applied to every row at every step.
class DenseReference {
 public:
  DenseReference(Backend& backend, const PriorSetup& setup)
      : setup_(setup), optimizer_(backend, kItems, kDim, RowOptimizerOptions{}) {
    table_.resize(kItems * kDim);
    for (int64_t item = 0; item < kItems; ++item)
      for (int64_t j = 0; j < kDim; ++j)
        table_[item * kDim + j] = ShardedEmbedding::initial_value(kSeed, kInitScale, item, j);
    group_count_ = setup.kind == ItemPriorKind::kGroup ? kGroups : 1;
    scales_.assign(group_count_, setup.sigma);
    means_.assign(group_count_ * kDim, 0.0);
    refresh(/*scales=*/false);
  }

  const std::vector<float>& table() const { return table_; }
  std::vector<float> row(int64_t item) const {
    return std::vector<float>(table_.begin() + item * kDim, table_.begin() + (item + 1) * kDim);
  }
  int64_t group(int64_t item) const {
    return setup_.kind == ItemPriorKind::kGroup ? group_of(item) : 0;
  }
  std::vector<double> mean(int64_t g) const {
    return std::vector<double>(means_.begin() + g * kDim, means_.begin() + (g + 1) * kDim);
  }

  // One step: every rank's batch of `step`; returns nothing (the rows before it are table()).
  void step(int world, int step) {
    const double rate_lr = learning_rate(step);
    for (int64_t item = 0; item < kItems; ++item) {
      const int64_t g = group(item);
      const double factor = std::exp(-rate_lr * setup_.weight / (scales_[g] * scales_[g]));
      for (int64_t j = 0; j < kDim; ++j) {
        float& value = table_[item * kDim + j];
        value = static_cast<float>(means_[g * kDim + j] + (value - means_[g * kDim + j]) * factor);
      }
    }
    std::map<int64_t, std::vector<float>> sums;
    for (int r = 0; r < world; ++r) {
      const std::vector<int64_t> ids = batch_ids(r, step);
      for (size_t i = 0; i < ids.size(); ++i) {
        auto& sum = sums[ids[i]];
        sum.resize(kDim, 0.0f);
        for (int64_t j = 0; j < kDim; ++j)
          sum[j] += position_gradient(r, step, static_cast<int>(i), j);
      }
    }
    std::vector<int32_t> rows;
    std::vector<float> gradients;
    for (const auto& [id, sum] : sums) {
      rows.push_back(static_cast<int32_t>(id));
      gradients.insert(gradients.end(), sum.begin(), sum.end());
    }
    optimizer_.step(table_.data(), rows.data(), gradients.data(), static_cast<int64_t>(rows.size()),
                    learning_rate(step));
    if (setup_.refresh_steps > 0 && optimizer_.step_count() % setup_.refresh_steps == 0)
      refresh(setup_.learn_sigma);
  }

 private:
  void refresh(bool scales) {
    std::vector<double> sums(group_count_ * kDim, 0.0), counts(group_count_, 0.0);
    for (int64_t item = 0; item < kItems; ++item) {
      counts[group(item)] += 1;
      for (int64_t j = 0; j < kDim; ++j) sums[group(item) * kDim + j] += table_[item * kDim + j];
    }
    for (int64_t g = 0; g < group_count_; ++g)
      for (int64_t j = 0; j < kDim; ++j)
        means_[g * kDim + j] = static_cast<float>(sums[g * kDim + j] / counts[g]);
    if (!scales) return;
    std::vector<double> squares(group_count_, 0.0);
    for (int64_t item = 0; item < kItems; ++item)
      for (int64_t j = 0; j < kDim; ++j) {
        const double d = table_[item * kDim + j] - means_[group(item) * kDim + j];
        squares[group(item)] += d * d;
      }
    for (int64_t g = 0; g < group_count_; ++g)
      scales_[g] = std::max(1e-3, std::sqrt(squares[g] / (counts[g] * kDim)));
  }

  PriorSetup setup_;
  SparseRowOptimizer optimizer_;
  std::vector<float> table_;
  int64_t group_count_;
  std::vector<double> scales_;
  std::vector<double> means_;  // the reference keeps the float-rounded means, as the prior
};

std::vector<float> collect_table(ShardedEmbedding& embedding, size_t table) {
  std::vector<float> all;
  embedding.collect_rows(table, [&](int64_t, int64_t count, const float* rows) {
    all.insert(all.end(), rows, rows + count * kDim);
  });
  return all;
}

::testing::AssertionResult near_all(const std::vector<float>& expected,
                                    const std::vector<float>& actual, double tolerance) {
  if (expected.size() != actual.size())
    return ::testing::AssertionFailure() << "sizes " << expected.size() << " vs " << actual.size();
  for (size_t i = 0; i < expected.size(); ++i) {
    if (!(std::fabs(double(expected[i]) - actual[i]) <= tolerance * (1 + std::fabs(expected[i]))))
      return ::testing::AssertionFailure()
             << "index " << i << " (row " << i / kDim << "): expected " << expected[i]
             << ", actual " << actual[i];
  }
  return ::testing::AssertionSuccess();
}

class ItemPriorTest : public ::testing::Test {
 protected:
  std::unique_ptr<Backend> backend_ = make_backend(Device::kCpu);
  MpiCommunicator world_;
  MpiCommunicator self_{MPI_COMM_SELF};
};

void expect_equals_dense(ItemPriorTest& test, Backend& backend, MpiCommunicator& world,
                         const PriorSetup& setup) {
  (void)test;
  ShardedEmbedding sharded(world, world, backend, prior_options(setup));
  ASSERT_EQ(sharded.prior_staged(), setup.staged);
  DenseReference dense(backend, setup);
  constexpr int kSteps = 14;
  for (int step = 0; step < kSteps; ++step) {
    const auto looked_up = sharded_step(sharded, backend, world.rank(), step);
    // What the forward read is the dense table's row before the step (caught up on reading).
    for (const auto& [id, values] : looked_up)
      ASSERT_TRUE(near_all(dense.row(id), values, 2e-6)) << "step " << step << " id " << id;
    dense.step(world.world_size(), step);
  }
  const std::vector<float> lazy = collect_table(sharded, 0);
  if (world.rank() == 0) {
    EXPECT_TRUE(near_all(dense.table(), lazy, 2e-6));
    // The prior did something: the reference without it differs well beyond the tolerance.
    PriorSetup off = setup;
    off.weight = 0.0f;
    DenseReference without(backend, off);
    for (int step = 0; step < kSteps; ++step) without.step(world.world_size(), step);
    EXPECT_FALSE(near_all(without.table(), lazy, 1e-2));
  }
  ItemPrior* prior = sharded.prior();
  ASSERT_NE(prior, nullptr);
  for (int64_t g = 0; g < prior->group_count(); ++g)
    for (int64_t j = 0; j < kDim; ++j)
      EXPECT_NEAR(prior->group_vectors()[g * kDim + j], dense.mean(g)[j], 2e-6);
}

TEST_F(ItemPriorTest, LazyGroupPriorWithLearnedScalesEqualsTheDenseReference) {
  expect_equals_dense(*this, *backend_, world_, PriorSetup{});
}

TEST_F(ItemPriorTest, LazyGlobalPriorWithAFixedScaleEqualsTheDenseReference) {
  PriorSetup setup;
  setup.kind = ItemPriorKind::kGlobal;
  setup.learn_sigma = false;
  setup.weight = 0.3f;
  expect_equals_dense(*this, *backend_, world_, setup);
}

TEST_F(ItemPriorTest, TheEveryStepOptionEqualsTheDenseReference) {
  PriorSetup setup;
  setup.every_step = true;
  expect_equals_dense(*this, *backend_, world_, setup);
}

TEST_F(ItemPriorTest, StagedRowsEqualTheDenseReference) {
  // What a device backend runs (gather, catch up on the host, scatter-add the change), here on
  // the CPU backend.
  PriorSetup setup;
  setup.staged = true;
  expect_equals_dense(*this, *backend_, world_, setup);
  setup.every_step = true;
  expect_equals_dense(*this, *backend_, world_, setup);
}

TEST_F(ItemPriorTest, ANeverTouchedRowEndsAtItsGroupVector) {
  PriorSetup setup;
  setup.weight = 0.5f;
  setup.learn_sigma = false;
  // Group vectors fixed at their start (the refresh moves them, and an untouched row follows
  // them one refresh late).
  setup.refresh_steps = 0;
  ShardedEmbedding sharded(world_, world_, *backend_, prior_options(setup));
  for (int step = 0; step < 200; ++step) sharded_step(sharded, *backend_, world_.rank(), step);
  const std::vector<float> rows = collect_table(sharded, 0);
  if (world_.rank() != 0) return;
  const std::vector<float>& means = sharded.prior()->group_vectors();
  for (int64_t item = kNeverTouched; item < kItems; ++item) {
    for (int64_t j = 0; j < kDim; ++j) {
      // The pull over 200 steps: exp(-sum lr * 0.5 / 0.25) = exp(-40), far below float's
      // resolution.
      EXPECT_NEAR(rows[item * kDim + j], means[group_of(item) * kDim + j], 1e-5)
          << "item " << item << " column " << j;
    }
  }
  // A touched row is held away from it by its gradients.
  double deviation = 0;
  for (int64_t j = 0; j < kDim; ++j)
    deviation += std::fabs(rows[7 * kDim + j] - means[group_of(7) * kDim + j]);
  EXPECT_GT(deviation, 1e-2);
}

TEST_F(ItemPriorTest, SavedRowsAndGroupStateContinueBitForBit) {
  const PriorSetup setup;
  ShardedEmbedding first(world_, world_, *backend_, prior_options(setup));
  for (int step = 0; step < 6; ++step) sharded_step(first, *backend_, world_.rank(), step);
  // "Checkpoint": every row table (collect flushes the prior) and the group state.
  const size_t tables = first.row_table_names().size();
  std::vector<std::vector<float>> saved;
  for (size_t t = 0; t < tables; ++t) saved.push_back(collect_table(first, t));
  std::vector<float> vectors = first.prior()->group_vectors();
  std::vector<float> scales = first.prior()->group_scales();

  ShardedEmbedding resumed(world_, world_, *backend_, prior_options(setup));
  for (size_t t = 0; t < tables; ++t) {
    resumed.scatter_rows(t, [&](int64_t first_item, int64_t count, float* rows) {
      std::copy_n(saved[t].begin() + first_item * kDim, count * kDim, rows);
    });
  }
  resumed.prior()->set_group_state(vectors, scales);
  resumed.optimizer().set_step_count(first.optimizer().step_count());
  for (int step = 6; step < 13; ++step) {
    sharded_step(first, *backend_, world_.rank(), step);
    sharded_step(resumed, *backend_, world_.rank(), step);
  }
  for (size_t t = 0; t < tables; ++t) {
    const std::vector<float> a = collect_table(first, t), b = collect_table(resumed, t);
    if (world_.rank() == 0) {
      EXPECT_TRUE(near_all(a, b, 0.0)) << "table " << t;
    }
  }
  EXPECT_EQ(first.prior()->group_vectors(), resumed.prior()->group_vectors());
  EXPECT_EQ(first.prior()->group_scales(), resumed.prior()->group_scales());
}

// ---- the prior alone, on the fixture's rows (one process) ----------------------------------

nlohmann::json load_fixture() {
  std::ifstream file(std::string(SLATETRAIN_TEST_DATA) + "/item_prior/loss.json");
  if (!file) throw std::runtime_error("cannot open tests/fixtures/item_prior/loss.json");
  return nlohmann::json::parse(file);
}

TEST_F(ItemPriorTest, RefreshIsTheMapGroupStateOfPyTorch) {
  const nlohmann::json fixture = load_fixture();
  const int64_t dim = fixture.at("dim"), groups = fixture.at("groups_count");
  std::vector<float> rows = fixture.at("rows").get<std::vector<float>>();
  ItemPriorOptions options;
  options.kind = ItemPriorKind::kGroup;
  options.weight = fixture.at("weight");
  options.learn_sigma = true;
  options.sigma_min = 1e-6f;
  ItemPrior prior(options, fixture.at("groups").get<std::vector<int32_t>>(), groups, dim, self_);
  prior.refresh(rows.data());
  const auto map_vectors = fixture.at("map_group_vectors").get<std::vector<double>>();
  const auto map_scales = fixture.at("map_group_scales").get<std::vector<double>>();
  for (int64_t g : fixture.at("map_groups").get<std::vector<int64_t>>()) {
    EXPECT_NEAR(prior.group_scales()[g], map_scales[g], 1e-5) << "group " << g;
    for (int64_t j = 0; j < dim; ++j)
      EXPECT_NEAR(prior.group_vectors()[g * dim + j], map_vectors[g * dim + j], 1e-5)
          << "group " << g << " column " << j;
  }
  // The group without rows keeps its start.
  EXPECT_EQ(prior.group_scales()[3], options.sigma);
}

TEST_F(ItemPriorTest, CatchUpIsTheGradientFlowOfThePriorLoss) {
  const nlohmann::json fixture = load_fixture();
  const int64_t dim = fixture.at("dim"), groups = fixture.at("groups_count");
  const float weight = fixture.at("weight");
  const auto row_groups = fixture.at("groups").get<std::vector<int32_t>>();
  const auto vectors = fixture.at("group_vectors").get<std::vector<float>>();
  const auto scales = fixture.at("group_scales").get<std::vector<float>>();
  const std::vector<float> start = fixture.at("rows").get<std::vector<float>>();
  const int64_t count = static_cast<int64_t>(row_groups.size());

  ItemPriorOptions options;
  options.kind = ItemPriorKind::kGroup;
  options.weight = weight;
  ItemPrior prior(options, row_groups, groups, dim, self_);
  prior.set_group_state(vectors, scales);
  std::vector<float> lazy = start;
  // Three steps' learning rates; row 0 is read after the first, the rest only at the end.
  prior.advance(0.1);
  const int32_t first_row = 0;
  prior.catch_up(lazy.data(), &first_row, 1);
  prior.advance(0.15);
  prior.advance(0.05);
  prior.flush(lazy.data());

  // Explicit Euler on dv/dt = -dP/dv over the same total "time" 0.3, in double.
  std::vector<double> flow(start.begin(), start.end());
  const int kSubsteps = 30000;
  const double h = 0.3 / kSubsteps;
  for (int s = 0; s < kSubsteps; ++s) {
    for (int64_t i = 0; i < count; ++i) {
      const int32_t g = row_groups[i];
      for (int64_t j = 0; j < dim; ++j) {
        flow[i * dim + j] -=
            h * weight * (flow[i * dim + j] - vectors[g * dim + j]) / (scales[g] * scales[g]);
      }
    }
  }
  for (size_t k = 0; k < flow.size(); ++k) EXPECT_NEAR(lazy[k], flow[k], 2e-5) << "value " << k;
}

TEST_F(ItemPriorTest, AZeroWeightLeavesTheTableAsWithoutAPrior) {
  PriorSetup setup;
  setup.weight = 0.0f;
  ShardedEmbedding weightless(world_, world_, *backend_, prior_options(setup));
  ShardedEmbeddingOptions plain_options = prior_options(setup);
  plain_options.prior.kind = ItemPriorKind::kNone;
  ShardedEmbedding plain(world_, world_, *backend_, plain_options);
  for (int step = 0; step < 6; ++step) {
    sharded_step(weightless, *backend_, world_.rank(), step);
    sharded_step(plain, *backend_, world_.rank(), step);
  }
  const std::vector<float> a = collect_table(plain, 0), b = collect_table(weightless, 0);
  if (world_.rank() == 0) {
    EXPECT_TRUE(near_all(a, b, 0.0));
  }
}

TEST_F(ItemPriorTest, ThePriorIsRefusedWithoutAGroupForEveryItem) {
  PriorSetup setup;
  ShardedEmbeddingOptions options = prior_options(setup);
  options.item_groups.pop_back();
  EXPECT_THROW(ShardedEmbedding(self_, self_, *backend_, options), std::exception);
}

}  // namespace
}  // namespace slatetrain
