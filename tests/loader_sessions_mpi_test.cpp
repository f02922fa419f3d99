// The loader over session shards under a real mpirun (ctest: loader_sessions_mpi_3, 3 ranks),
// for leave-one-out train, validation and test and for the users protocol: across ranks every
// user of the phase is seen exactly once per epoch; every rank yields the same number of
// batches; every batch holds exactly the windows, masks and earlier items the protocol gives;
// a second loader with the same seed delivers the same order; another epoch another order.
// usage: loader_sessions_mpi_test SCRATCH_DIRECTORY
#include <algorithm>
#include <cstdio>
#include <numeric>
#include <string>
#include <vector>

#include "data/slate_loader.hpp"
#include "dist/mpi_communicator.hpp"
#include "dist/mpi_session.hpp"
#include "tests/loader_session_dataset.hpp"

namespace slatetrain {
namespace {

struct Checker {
  int rank = 0;
  int failures = 0;
  void expect(bool condition, const std::string& message) {
    if (condition) return;
    ++failures;
    std::fprintf(stderr, "loader_sessions_mpi_test: rank %d: FAILED: %s\n", rank, message.c_str());
  }
};

std::vector<int64_t> gather_rows(Communicator& communicator, const std::vector<int64_t>& rows) {
  std::vector<int64_t> counts(static_cast<size_t>(communicator.world_size()));
  communicator.allgather(std::vector<int64_t>{static_cast<int64_t>(rows.size())}.data(), 1,
                         counts.data(), ElementType::kInt64);
  std::vector<size_t> sizes(counts.begin(), counts.end());
  std::vector<int64_t> all(std::accumulate(sizes.begin(), sizes.end(), size_t{0}));
  communicator.allgatherv(rows.data(), rows.size(), all.data(), sizes, ElementType::kInt64);
  return all;
}

// One epoch on this rank: rows in order and the batch count; every batch checked.
std::vector<int64_t> run_epoch(SlateLoader& loader, int64_t epoch,
                               const testing::SessionTestDataset& dataset, LoaderPhase phase,
                               int64_t& batches, Checker& check) {
  std::vector<int64_t> rows;
  loader.start_epoch(epoch);
  SequenceBatch batch;
  batches = 0;
  while (loader.next(batch)) {
    const std::vector<int64_t> batch_rows(batch.user_row.begin(),
                                          batch.user_row.begin() + batch.valid_users);
    const auto matches =
        testing::session_batch_matches(batch, dataset, batch_rows, phase, loader.window_steps());
    check.expect(static_cast<bool>(matches),
                 std::string(loader_phase_name(phase)) + " epoch " + std::to_string(epoch) +
                     " batch " + std::to_string(batches) + ": " + matches.message());
    rows.insert(rows.end(), batch_rows.begin(), batch_rows.end());
    ++batches;
  }
  return rows;
}

void check_phase(Communicator& communicator, const std::string& directory,
                 const testing::SessionTestDataset& dataset, LoaderPhase phase, int window,
                 Checker& check) {
  const std::string name = std::string(protocol_name(dataset.protocol)) + " " +
                           loader_phase_name(phase) + " window " + std::to_string(window);
  LoaderOptions options;
  options.directory = directory;
  options.phase = phase;
  options.batch_users = 16;
  options.seed = 8;
  options.window_steps = window;
  options.order.block_users = 20;
  options.order.window_blocks = 2;
  SlateLoader loader(options, &communicator);
  std::vector<std::vector<int64_t>> orders;
  for (const int64_t epoch : {0, 1}) {
    int64_t batches = 0;
    const std::vector<int64_t> rows = run_epoch(loader, epoch, dataset, phase, batches, check);
    const std::string where = name + " epoch " + std::to_string(epoch);
    check.expect(batches == loader.batches_per_epoch(), where + ": batch count");
    const int64_t most = communicator.allreduce_value(batches, ReduceOp::kMax);
    const int64_t least = communicator.allreduce_value(batches, ReduceOp::kMin);
    check.expect(most == least, where + ": ranks yield between " + std::to_string(least) + " and " +
                                    std::to_string(most) + " batches");
    std::vector<int64_t> everyone = gather_rows(communicator, rows);
    orders.push_back(everyone);
    std::sort(everyone.begin(), everyone.end());
    check.expect(everyone == testing::session_phase_rows(dataset, phase),
                 where + ": ranks together delivered " + std::to_string(everyone.size()) +
                     " users, not each user of the phase once");
    SlateLoader same(options, &communicator);
    int64_t same_batches = 0;
    check.expect(run_epoch(same, epoch, dataset, phase, same_batches, check) == rows,
                 where + ": a second loader with the same seed delivered another order");
  }
  check.expect(orders[0] != orders[1], name + ": epochs 0 and 1 have the same order");
}

int run(int argc, char** argv) {
  MpiCommunicator communicator;
  Checker check;
  check.rank = communicator.rank();
  if (argc != 2) {
    std::fprintf(stderr, "usage: loader_sessions_mpi_test SCRATCH_DIRECTORY\n");
    return 2;
  }
  SplitParameters split;
  split.seed = 2;
  split.valid_fraction = split.test_fraction = 0.1;
  split.t_testsplit = 4;
  for (const Protocol protocol : {Protocol::kLeaveOneOut, Protocol::kUsers}) {
    const std::string directory = std::string(argv[1]) + "/" + protocol_name(protocol);
    const testing::SessionTestDataset dataset =
        testing::make_session_test_dataset(301, 6, protocol, split);
    if (communicator.rank() == 0) testing::write_session_test_directory(dataset, directory, 4);
    communicator.barrier();
    for (const LoaderPhase phase : {LoaderPhase::kTrain, LoaderPhase::kValid, LoaderPhase::kTest}) {
      if (protocol == Protocol::kLeaveOneOut) {
        check_phase(communicator, directory, dataset, phase, 0, check);
        check_phase(communicator, directory, dataset, phase, 9, check);
      } else {
        check_phase(communicator, directory, dataset, phase, 0, check);
      }
    }
  }
  const int failures = communicator.allreduce_value(check.failures, ReduceOp::kSum);
  if (communicator.rank() == 0) {
    if (failures == 0)
      std::printf("loader_sessions_mpi_test: %d ranks: all checks passed\n",
                  communicator.world_size());
    else
      std::fprintf(stderr, "loader_sessions_mpi_test: %d failed checks over all ranks\n", failures);
  }
  return failures == 0 ? 0 : 1;
}

}  // namespace
}  // namespace slatetrain

int main(int argc, char** argv) {
  slatetrain::MpiSession mpi(&argc, &argv);
  return slatetrain::run_or_abort([&] { return slatetrain::run(argc, argv); });
}
