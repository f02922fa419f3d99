// ShardedEmbedding at 2, 3 and 4 ranks against one full table in one process (built inside the
// same job on MPI_COMM_SELF, torchrec-style): the same rows forward, the same rows and
// optimizer state after several backward+update steps (bitwise: the test gradients are small
// multiples of 1/8, so every sum is exact whatever the summation order), and the
// checkpoint-order collect/scatter, also into a different world size.
#include <gtest/gtest.h>
#include <mpi.h>

#include <cmath>
#include <memory>
#include <vector>

#include "core/backend.hpp"
#include "core/error.hpp"
#include "core/random.hpp"
#include "dist/mpi_communicator.hpp"
#include "dist/sharded_embedding.hpp"

namespace slatetrain {
namespace {

constexpr int64_t kItems = 103;  // not a multiple of 2, 3 or 4
constexpr int64_t kDim = 5;
constexpr uint64_t kSeed = 77;

ShardedEmbeddingOptions test_options(RowOptimizerKind kind) {
  ShardedEmbeddingOptions options;
  options.num_items = kItems;
  options.dim = kDim;
  options.seed = kSeed;
  options.init_scale = 0.5f;
  options.optimizer.kind = kind;
  options.optimizer.initial_accumulator = 0.25f;
  return options;
}

// The ids rank `rank` looks up at step `step`: repeats, a few -1 (no row), and on step 1 rank 1
// has an empty batch.
std::vector<int64_t> batch_ids(int rank, int step) {
  if (step == 1 && rank == 1) return {};
  std::vector<int64_t> ids;
  const int count = 20 + 7 * rank;
  for (int i = 0; i < count; ++i) {
    const uint64_t bits = hash_mix(1000 + step, rank, i);
    // Few distinct ids so that ranks share ids and repeat them.
    ids.push_back(bits % 11 == 0 ? -1
                                 : static_cast<int64_t>((bits >> 8) % (kItems / 3)) * 3 +
                                       static_cast<int64_t>(rank % 3));
  }
  return ids;
}

// Gradient of the loss with respect to position i's row: multiples of 1/8 in [-1, 1].
float position_gradient(int rank, int step, int position, int64_t column) {
  return static_cast<float>(
             static_cast<int>(hash_mix(2000 + step, rank * 1000 + position, column) % 17) - 8) /
         8.0f;
}

// The gradients of rank `rank`'s batch `ids` at `step`: [ids.size(), kDim].
std::vector<float> position_gradients(int rank, int step, const std::vector<int64_t>& ids) {
  std::vector<float> gradients;
  for (size_t i = 0; i < ids.size(); ++i)
    for (int64_t j = 0; j < kDim; ++j)
      gradients.push_back(position_gradient(rank, step, static_cast<int>(i), j));
  return gradients;
}

::testing::AssertionResult same_floats(const std::vector<float>& expected,
                                       const std::vector<float>& actual) {
  if (expected.size() != actual.size())
    return ::testing::AssertionFailure() << "sizes " << expected.size() << " vs " << actual.size();
  for (size_t i = 0; i < expected.size(); ++i) {
    if (!(expected[i] == actual[i])) {
      return ::testing::AssertionFailure()
             << "first difference at index " << i << " (row " << i / kDim << ", column " << i % kDim
             << "): expected " << expected[i] << ", actual " << actual[i];
    }
  }
  return ::testing::AssertionSuccess();
}

// This rank's rows of a full (world-1) table: the rows of the items it owns.
std::vector<float> owned_rows_of(const std::vector<float>& full, int rank, int world) {
  std::vector<float> rows;
  for (int64_t item = rank; item < kItems; item += world)
    rows.insert(rows.end(), full.begin() + item * kDim, full.begin() + (item + 1) * kDim);
  return rows;
}

// One step on an embedding: look ids up, form d rows as a model would (sum over positions),
// reduce and update. Returns the looked-up rows.
std::vector<float> train_step(ShardedEmbedding& embedding, Backend& backend,
                              const std::vector<int64_t>& ids,
                              const std::vector<float>& position_gradients) {
  Tensor rows;
  RowExchange exchange = embedding.lookup(ids.data(), static_cast<int64_t>(ids.size()), rows);
  const int64_t unique_count = static_cast<int64_t>(exchange.unique_ids.size());
  Tensor drows(backend, {unique_count, kDim}, DType::kFloat32);
  drows.zero();
  if (!ids.empty() && unique_count > 0) {
    backend.embedding_backward(drows.data<float>(), position_gradients.data(),
                               exchange.index.data(), static_cast<int64_t>(ids.size()), kDim,
                               unique_count);
  }
  embedding.backward_and_update(exchange, drows.empty() ? nullptr : drows.data<float>(), 0.05f);
  return rows.to_host<float>();
}

std::vector<float> collect_all(ShardedEmbedding& embedding, size_t table, int64_t chunk_rows) {
  std::vector<float> all;
  int64_t expected_first = 0;
  embedding.collect_rows(
      table,
      [&](int64_t first, int64_t count, const float* rows) {
        EXPECT_EQ(first, expected_first);
        EXPECT_LE(count, chunk_rows);
        expected_first = first + count;
        all.insert(all.end(), rows, rows + count * kDim);
      },
      chunk_rows);
  return all;
}

class ShardedEmbeddingTest : public ::testing::TestWithParam<RowOptimizerKind> {
 protected:
  std::unique_ptr<Backend> backend_ = make_backend(Device::kCpu);
  MpiCommunicator world_;
  MpiCommunicator self_{MPI_COMM_SELF};
  int rank() const { return world_.rank(); }
  int world() const { return world_.world_size(); }
};

TEST_P(ShardedEmbeddingTest, ForwardGivesTheRowsOfTheFullTable) {
  ShardedEmbedding sharded(world_, world_, *backend_, test_options(GetParam()));
  ShardedEmbedding full(self_, self_, *backend_, test_options(GetParam()));
  const int64_t expected_local_rows = (kItems - rank() + world() - 1) / world();
  EXPECT_EQ(sharded.local_rows(), expected_local_rows);
  EXPECT_EQ(full.local_rows(), kItems);
  EXPECT_TRUE(same_floats(owned_rows_of(full.table().to_host<float>(), rank(), world()),
                          sharded.table().to_host<float>()));

  const std::vector<int64_t> ids = batch_ids(rank(), 0);
  Tensor rows;
  RowExchange exchange = sharded.lookup(ids.data(), static_cast<int64_t>(ids.size()), rows);
  const std::vector<float> got = rows.to_host<float>();
  ASSERT_EQ(got.size(), exchange.unique_ids.size() * kDim);
  // Each batch position's row is the full table's row of its id.
  for (size_t i = 0; i < ids.size(); ++i) {
    if (ids[i] < 0) {
      EXPECT_EQ(exchange.index[i], -1) << "position " << i;
      continue;
    }
    const int32_t u = exchange.index[i];
    ASSERT_GE(u, 0);
    ASSERT_EQ(exchange.unique_ids[u], ids[i]);
    for (int64_t j = 0; j < kDim; ++j) {
      ASSERT_EQ(got[u * kDim + j], ShardedEmbedding::initial_value(kSeed, 0.5f, ids[i], j))
          << "rank " << rank() << " position " << i << " id " << ids[i] << " column " << j;
    }
  }
}

TEST_P(ShardedEmbeddingTest, TheInitialTableIsTheSameForAnyThreadCount) {
  // Enough rows that the initial draw is split over the threads (chunks of 1024 rows).
  ShardedEmbeddingOptions one_thread = test_options(GetParam());
  one_thread.num_items = 5003;
  ShardedEmbeddingOptions three_threads = one_thread;
  three_threads.init_threads = 3;
  ShardedEmbedding first(world_, world_, *backend_, one_thread);
  ShardedEmbedding second(world_, world_, *backend_, three_threads);
  const std::vector<float> table = second.table().to_host<float>();
  EXPECT_TRUE(same_floats(first.table().to_host<float>(), table));
  for (int64_t row = 0; row < second.local_rows(); row += 997) {
    for (int64_t j = 0; j < kDim; ++j) {
      ASSERT_EQ(table[row * kDim + j],
                ShardedEmbedding::initial_value(kSeed, 0.5f, second.item_of_local_row(row), j));
    }
  }
}

TEST_P(ShardedEmbeddingTest, BackwardAndUpdateMatchTheSingleProcessTable) {
  ShardedEmbedding sharded(world_, world_, *backend_, test_options(GetParam()));
  ShardedEmbedding full(self_, self_, *backend_, test_options(GetParam()));
  for (int step = 0; step < 3; ++step) {
    const std::vector<int64_t> ids = batch_ids(rank(), step);
    const std::vector<float> gradients = position_gradients(rank(), step, ids);
    train_step(sharded, *backend_, ids, gradients);

    // The single process sees every rank's batch, concatenated (as np=1 with the global batch).
    std::vector<int64_t> all_ids;
    std::vector<float> all_gradients;
    for (int r = 0; r < world(); ++r) {
      const std::vector<int64_t> rank_ids = batch_ids(r, step);
      all_ids.insert(all_ids.end(), rank_ids.begin(), rank_ids.end());
      const std::vector<float> rank_gradients = position_gradients(r, step, rank_ids);
      all_gradients.insert(all_gradients.end(), rank_gradients.begin(), rank_gradients.end());
    }
    train_step(full, *backend_, all_ids, all_gradients);
  }
  EXPECT_TRUE(same_floats(owned_rows_of(full.table().to_host<float>(), rank(), world()),
                          sharded.table().to_host<float>()))
      << "weights, rank " << rank();
  const size_t states = sharded.optimizer().state_names().size();
  for (size_t s = 0; s < states; ++s) {
    EXPECT_TRUE(
        same_floats(owned_rows_of(full.optimizer().state(s).to_host<float>(), rank(), world()),
                    sharded.optimizer().state(s).to_host<float>()))
        << sharded.optimizer().state_names()[s] << ", rank " << rank();
  }
  EXPECT_EQ(sharded.optimizer().step_count(), 3);
  // The update moved something (the comparison above is not between two untouched tables).
  ShardedEmbedding untouched(self_, self_, *backend_, test_options(GetParam()));
  EXPECT_FALSE(same_floats(untouched.table().to_host<float>(), full.table().to_host<float>()));
}

TEST_P(ShardedEmbeddingTest, AHostCommunicatorOfOtherRanksIsRefused) {
  // The ids go over the host communicator, the rows over the other: their ranks must agree.
  if (world() > 1) {
    EXPECT_THROW(ShardedEmbedding(world_, self_, *backend_, test_options(GetParam())), Error);
  }
}

TEST_P(ShardedEmbeddingTest, CollectAndScatterInItemOrderAcrossWorldSizes) {
  ShardedEmbedding sharded(world_, world_, *backend_, test_options(GetParam()));
  ShardedEmbedding full(self_, self_, *backend_, test_options(GetParam()));
  // Train a little so the optimizer state is not trivial, then collect every table.
  for (int step = 0; step < 2; ++step) {
    const std::vector<int64_t> ids = batch_ids(rank(), step);
    std::vector<float> gradients(ids.size() * kDim, 0.5f);
    train_step(sharded, *backend_, ids, gradients);
  }
  const std::vector<std::string> names = sharded.row_table_names();
  ASSERT_EQ(names[0], "weights");
  std::vector<std::vector<float>> saved;
  for (size_t t = 0; t < names.size(); ++t) {
    saved.push_back(collect_all(sharded, t, 7));
    if (rank() == 0) {
      ASSERT_EQ(saved[t].size(), static_cast<size_t>(kItems * kDim)) << names[t];
    } else {
      EXPECT_TRUE(saved[t].empty()) << "the sink ran on rank " << rank();
    }
  }
  if (rank() == 0) {
    // Item order: untouched items still hold their initial values.
    for (int64_t item = 0; item < kItems; ++item) {
      bool seen = false;
      for (int r = 0; r < world() && !seen; ++r)
        for (int step = 0; step < 2 && !seen; ++step)
          for (int64_t id : batch_ids(r, step)) seen = seen || id == item;
      if (seen) continue;
      for (int64_t j = 0; j < kDim; ++j)
        ASSERT_EQ(saved[0][item * kDim + j], ShardedEmbedding::initial_value(kSeed, 0.5f, item, j))
            << "item " << item;
    }
  }

  // Load into a smaller world (ranks 0 .. world-2; 1 rank at np=2), chunked differently.
  const int smaller = world() - 1;
  MPI_Comm sub_comm = MPI_COMM_NULL;
  MPI_Comm_split(MPI_COMM_WORLD, rank() < smaller ? 0 : MPI_UNDEFINED, rank(), &sub_comm);
  if (sub_comm != MPI_COMM_NULL) {
    {
      MpiCommunicator sub(sub_comm);
      ASSERT_EQ(sub.world_size(), smaller);
      ShardedEmbeddingOptions options = test_options(GetParam());
      options.seed = 999;  // different initial rows: everything must come from the scatter
      ShardedEmbedding loaded(sub, sub, *backend_, options);
      for (size_t t = 0; t < names.size(); ++t) {
        loaded.scatter_rows(
            t,
            [&](int64_t first, int64_t count, float* rows) {
              std::copy_n(saved[t].begin() + first * kDim, count * kDim, rows);
            },
            5);
      }
      // Each rank of the smaller world holds exactly the saved rows of the items it owns.
      std::vector<float> saved_here(kItems * kDim);
      for (size_t t = 0; t < names.size(); ++t) {
        if (sub.rank() == 0) saved_here = saved[t];
        sub.broadcast(saved_here.data(), saved_here.size(), 0);
        const std::vector<float> held = t == 0 ? loaded.table().to_host<float>()
                                               : loaded.optimizer().state(t - 1).to_host<float>();
        EXPECT_TRUE(same_floats(owned_rows_of(saved_here, sub.rank(), smaller), held))
            << names[t] << " on rank " << sub.rank() << " of " << smaller;
        // And collecting again gives the same table.
        const std::vector<float> again = collect_all(loaded, t, 64);
        if (sub.rank() == 0) {
          EXPECT_TRUE(same_floats(saved[t], again)) << names[t];
        }
      }
    }
    MPI_Comm_free(&sub_comm);
  }
  world_.barrier();
}

TEST_P(ShardedEmbeddingTest, BadIdsAreErrorsNamingTheRank) {
  ShardedEmbedding sharded(world_, world_, *backend_, test_options(GetParam()));
  const std::vector<int64_t> ids = {3, kItems};
  try {
    sharded.dedup_ids(ids.data(), 2);
    FAIL() << "expected an Error";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("rank " + std::to_string(rank())), std::string::npos)
        << error.what();
  }
  EXPECT_THROW(sharded.from_unique_ids({5, 4}), Error);
}

INSTANTIATE_TEST_SUITE_P(AdamAndAdagrad, ShardedEmbeddingTest,
                         ::testing::Values(RowOptimizerKind::kAdam, RowOptimizerKind::kAdagrad),
                         [](const ::testing::TestParamInfo<RowOptimizerKind>& info) {
                           return std::string(row_optimizer_name(info.param));
                         });

}  // namespace
}  // namespace slatetrain
