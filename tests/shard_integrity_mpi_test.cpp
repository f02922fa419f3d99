// Shard integrity under a real mpirun (ctest: shard_integrity_mpi_3, 3 ranks, 3 shards: rank r
// checksums shard r). A bit flipped in one shard makes every rank's loader constructor fail
// with that file named (no rank is left waiting in a collective, and no rank trains); an item
// id past num_items is reported by the rank that decodes it, with the file, user row and step.
// usage: shard_integrity_mpi_test SCRATCH_DIRECTORY
#include <cstdio>
#include <string>

#include "core/error.hpp"
#include "data/slate_loader.hpp"
#include "dist/mpi_communicator.hpp"
#include "dist/mpi_session.hpp"
#include "tests/loader_test_dataset.hpp"
#include "tests/shard_corruption.hpp"

namespace slatetrain {
namespace {

constexpr int64_t kUsers = 301;
constexpr int kShards = 3;

struct Checker {
  int rank = 0;
  int failures = 0;
  void expect(bool condition, const std::string& message) {
    if (condition) return;
    ++failures;
    std::fprintf(stderr, "shard_integrity_mpi_test: rank %d: FAILED: %s\n", rank, message.c_str());
  }
};

// Constructs a training loader and runs one epoch; the error text or "".
std::string load_error(Communicator& communicator, const std::string& directory) {
  try {
    LoaderOptions options;
    options.directory = directory;
    options.batch_users = 8;
    options.seed = 4;
    SlateLoader loader(options, &communicator);
    loader.start_epoch(0);
    SequenceBatch batch;
    while (loader.next(batch)) {
    }
    return "";
  } catch (const Error& error) {
    return error.what();
  }
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

int run(int argc, char** argv) {
  MpiCommunicator communicator;
  Checker check;
  check.rank = communicator.rank();
  if (argc != 2) {
    std::fprintf(stderr, "usage: shard_integrity_mpi_test SCRATCH_DIRECTORY\n");
    return 2;
  }
  const std::string directory = argv[1];
  const std::string flipped = directory + "/" + shard_file_name(2, kShards);
  SplitParameters split;
  split.seed = 2;
  testing::TestDataset dataset = testing::make_test_dataset(kUsers, 9, split);
  if (communicator.rank() == 0) testing::write_test_directory(dataset, directory, kShards, 0);
  communicator.barrier();
  const std::string good = load_error(communicator, directory);
  check.expect(good.empty(), "a good directory failed: " + good);

  // A flipped bit in shard 2: only rank 2 reads it whole, every rank must refuse.
  communicator.barrier();
  if (communicator.rank() == 0)
    testing::flip_bit(flipped, testing::dataset_element_offset(flipped, "/steps/click", 25));
  communicator.barrier();
  const std::string refused = load_error(communicator, directory);
  check.expect(contains(refused, shard_file_name(2, kShards)) && contains(refused, "CRC-32") &&
                   contains(refused, "rank 2"),
               "the flipped shard was not refused by name on this rank: '" + refused + "'");

  // An id past the item table, written by the conversion itself (checksums hold).
  communicator.barrier();
  testing::TestUser* target = nullptr;
  for (testing::TestUser& user : dataset.users)
    if (target == nullptr && user.row > 150 && !user.steps.empty()) target = &user;
  target->steps.front().click = static_cast<int32_t>(dataset.num_items);
  if (communicator.rank() == 0) testing::write_test_directory(dataset, directory, kShards, 0);
  communicator.barrier();
  const std::string decoded = load_error(communicator, directory);
  const int reported = communicator.allreduce_value<int>(decoded.empty() ? 0 : 1);
  check.expect(reported == 1, "the bad id was reported by " + std::to_string(reported) +
                                  " ranks, expected exactly the one that decoded it");
  if (!decoded.empty()) {
    check.expect(contains(decoded, "shard-0000") && contains(decoded, ".h5") &&
                     contains(decoded, "user row " + std::to_string(target->row)) &&
                     contains(decoded, "step t=" + std::to_string(target->steps.front().t)),
                 "the bad id's error lacks the file, row or step: '" + decoded + "'");
  }

  const int failures = communicator.allreduce_value(check.failures, ReduceOp::kSum);
  if (communicator.rank() == 0) {
    if (failures == 0)
      std::printf("shard_integrity_mpi_test: %d ranks: all checks passed\n",
                  communicator.world_size());
    else
      std::fprintf(stderr, "shard_integrity_mpi_test: %d failed checks over all ranks\n", failures);
  }
  return failures == 0 ? 0 : 1;
}

}  // namespace
}  // namespace slatetrain

int main(int argc, char** argv) {
  slatetrain::MpiSession mpi(&argc, &argv);
  return slatetrain::run_or_abort([&] { return slatetrain::run(argc, argv); });
}
