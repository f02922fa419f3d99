// The loader under a real mpirun (ctest: loader_mpi_3, 3 ranks). Checks, for the training and
// the validation phase: across ranks every user of the phase is seen exactly once per epoch;
// every rank yields the same number of batches; a second loader with the same seed delivers
// the same order on every rank; another epoch delivers another order; every batch holds
// exactly the dataset's values. Exits non-zero with the failures on stderr.
// usage: loader_mpi_test SCRATCH_DIRECTORY
#include <algorithm>
#include <cstdio>
#include <numeric>
#include <sstream>
#include <string>
#include <vector>

#include "data/slate_loader.hpp"
#include "dist/mpi_communicator.hpp"
#include "dist/mpi_session.hpp"
#include "tests/loader_test_dataset.hpp"
#include "tests/loader_test_expect.hpp"

namespace slatetrain {
namespace {

constexpr int64_t kUsers = 1001;

struct Checker {
  int rank = 0;
  int failures = 0;
  void expect(bool condition, const std::string& message) {
    if (condition) return;
    ++failures;
    std::fprintf(stderr, "loader_mpi_test: rank %d: FAILED: %s\n", rank, message.c_str());
  }
};

struct Epoch {
  std::vector<int64_t> rows;  // this rank's users in delivery order
  int64_t batches = 0;
};

Epoch run_epoch(SlateLoader& loader, int64_t epoch, const testing::TestDataset& dataset,
                LoaderPhase phase, Checker& check) {
  Epoch result;
  loader.start_epoch(epoch);
  SequenceBatch batch;
  while (loader.next(batch)) {
    const std::vector<int64_t> rows(batch.user_row.begin(),
                                    batch.user_row.begin() + batch.valid_users);
    const auto matches =
        testing::batch_matches(batch, dataset, rows, phase, dataset.split.t_testsplit);
    check.expect(static_cast<bool>(matches), std::string("epoch ") + std::to_string(epoch) +
                                                 " batch " + std::to_string(result.batches) + ": " +
                                                 matches.message());
    result.rows.insert(result.rows.end(), rows.begin(), rows.end());
    ++result.batches;
  }
  return result;
}

// Every rank's rows, concatenated in rank order (on every rank).
std::vector<int64_t> gather_rows(Communicator& communicator, const std::vector<int64_t>& rows) {
  std::vector<int64_t> counts(static_cast<size_t>(communicator.world_size()));
  communicator.allgather(std::vector<int64_t>{static_cast<int64_t>(rows.size())}.data(), 1,
                         counts.data(), ElementType::kInt64);
  std::vector<size_t> sizes(counts.begin(), counts.end());
  std::vector<int64_t> all(std::accumulate(sizes.begin(), sizes.end(), size_t{0}));
  communicator.allgatherv(rows.data(), rows.size(), all.data(), sizes, ElementType::kInt64);
  return all;
}

void check_phase(Communicator& communicator, const std::string& directory,
                 const testing::TestDataset& dataset, LoaderPhase phase, Checker& check) {
  const std::string name = loader_phase_name(phase);
  LoaderOptions options;
  options.directory = directory;
  options.phase = phase;
  options.batch_users = phase == LoaderPhase::kTrain ? 32 : 8;
  options.seed = 5;
  options.order.block_users = 24;
  options.order.window_blocks = 3;
  SlateLoader loader(options, &communicator);

  std::vector<int64_t> expected_users;
  for (const auto& user : dataset.users)
    if (phase == LoaderPhase::kTrain || user.split == (phase == LoaderPhase::kValid ? 1 : 2))
      expected_users.push_back(user.row);

  std::vector<std::vector<int64_t>> epoch_orders;
  for (const int64_t epoch : {0, 1}) {
    const Epoch result = run_epoch(loader, epoch, dataset, phase, check);
    const std::string where = name + " epoch " + std::to_string(epoch);
    check.expect(result.batches == loader.batches_per_epoch(),
                 where + ": " + std::to_string(result.batches) + " batches, batches_per_epoch " +
                     std::to_string(loader.batches_per_epoch()));
    const int64_t max_batches = communicator.allreduce_value(result.batches, ReduceOp::kMax);
    const int64_t min_batches = communicator.allreduce_value(result.batches, ReduceOp::kMin);
    check.expect(max_batches == min_batches, where + ": ranks yield between " +
                                                 std::to_string(min_batches) + " and " +
                                                 std::to_string(max_batches) + " batches");
    check.expect(static_cast<int64_t>(result.rows.size()) == loader.users_on_this_rank(),
                 where + ": delivered " + std::to_string(result.rows.size()) + " users, expected " +
                     std::to_string(loader.users_on_this_rank()));

    std::vector<int64_t> everyone = gather_rows(communicator, result.rows);
    epoch_orders.push_back(everyone);
    std::sort(everyone.begin(), everyone.end());
    const auto duplicate = std::adjacent_find(everyone.begin(), everyone.end());
    check.expect(duplicate == everyone.end(),
                 where + ": user row " +
                     (duplicate == everyone.end() ? std::string() : std::to_string(*duplicate)) +
                     " delivered more than once");
    check.expect(everyone == expected_users,
                 where + ": ranks together delivered " + std::to_string(everyone.size()) +
                     " users, not exactly the " + std::to_string(expected_users.size()) +
                     " users of the phase");

    // A second loader with the same seed: the same order on this rank.
    SlateLoader same(options, &communicator);
    const Epoch again = run_epoch(same, epoch, dataset, phase, check);
    check.expect(again.rows == result.rows, where +
                                                ": a second loader with the same seed "
                                                "delivered another order");
  }
  check.expect(epoch_orders[0] != epoch_orders[1], name + ": epochs 0 and 1 have the same order");
}

int run(int argc, char** argv) {
  MpiCommunicator communicator;
  Checker check;
  check.rank = communicator.rank();
  if (argc != 2) {
    std::fprintf(stderr, "usage: loader_mpi_test SCRATCH_DIRECTORY\n");
    return 2;
  }
  const std::string directory = argv[1];
  SplitParameters split;
  split.seed = 17;
  split.valid_fraction = 0.1;
  // Every rank builds the same dataset in memory (to check batches); rank 0 writes it.
  const testing::TestDataset dataset = testing::make_test_dataset(kUsers, 3, split);
  if (communicator.rank() == 0) testing::write_test_directory(dataset, directory, 4);
  communicator.barrier();

  check_phase(communicator, directory, dataset, LoaderPhase::kTrain, check);
  check_phase(communicator, directory, dataset, LoaderPhase::kValid, check);

  const int failures = communicator.allreduce_value(check.failures, ReduceOp::kSum);
  if (communicator.rank() == 0) {
    if (failures == 0)
      std::printf("loader_mpi_test: %d ranks: all checks passed\n", communicator.world_size());
    else
      std::fprintf(stderr, "loader_mpi_test: %d failed checks over all ranks\n", failures);
  }
  return failures == 0 ? 0 : 1;
}

}  // namespace
}  // namespace slatetrain

int main(int argc, char** argv) {
  slatetrain::MpiSession mpi(&argc, &argv);
  return slatetrain::run_or_abort([&] { return slatetrain::run(argc, argv); });
}
