#include "dist/failure_report.hpp"

#include <mpi.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

namespace slatetrain {

namespace {

MPI_Comm failure_communicator = MPI_COMM_NULL;

bool mpi_usable() {
  int initialized = 0;
  int finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  return initialized && !finalized;
}

// FNV-1a: the same on every rank and node, so equal messages compare equal across ranks.
uint64_t message_hash(const std::string& message) {
  uint64_t hash = 1469598103934665603ull;
  for (const unsigned char c : message) hash = (hash ^ c) * 1099511628211ull;
  return hash;
}

void print(const char* prefix, int rank, const std::string& message) {
  if (rank >= 0) {
    std::fprintf(stderr, "%s: rank %d failed: %s\n", prefix, rank, message.c_str());
  } else {
    std::fprintf(stderr, "%s: error: %s\n", prefix, message.c_str());
  }
  std::fflush(stderr);
}

// Every rank's message hash once all ranks have failed; empty if they have not within
// kFailureAgreementSeconds (the others are running or blocked in a collective).
std::vector<uint64_t> hashes_if_every_rank_failed(uint64_t mine, int world_size) {
  std::vector<uint64_t> all(static_cast<size_t>(world_size));
  MPI_Request request = MPI_REQUEST_NULL;
  if (MPI_Iallgather(&mine, 1, MPI_UINT64_T, all.data(), 1, MPI_UINT64_T, failure_communicator,
                     &request) != MPI_SUCCESS)
    return {};
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::duration<double>(kFailureAgreementSeconds);
  for (;;) {
    int done = 0;
    if (MPI_Test(&request, &done, MPI_STATUS_IGNORE) != MPI_SUCCESS) return {};
    if (done) return all;
    if (std::chrono::steady_clock::now() >= deadline) return {};
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

}  // namespace

void open_failure_reports() {
  if (failure_communicator != MPI_COMM_NULL || !mpi_usable()) return;
  MPI_Comm_dup(MPI_COMM_WORLD, &failure_communicator);
  MPI_Comm_set_errhandler(failure_communicator, MPI_ERRORS_RETURN);
}

void close_failure_reports() {
  if (failure_communicator == MPI_COMM_NULL || !mpi_usable()) return;
  MPI_Comm_free(&failure_communicator);
  failure_communicator = MPI_COMM_NULL;
}

int report_failure(const std::string& message, int exit_code) {
  const char* prefix = "slatetrain";
  if (!mpi_usable() || failure_communicator == MPI_COMM_NULL) {
    print(prefix, -1, message);
    return exit_code;
  }
  int rank = 0;
  int world_size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &world_size);
  const uint64_t mine = message_hash(message);
  const std::vector<uint64_t> all = hashes_if_every_rank_failed(mine, world_size);
  if (all.empty()) {
    print(prefix, rank, message);
    MPI_Abort(MPI_COMM_WORLD, exit_code);
    std::_Exit(exit_code);
  }
  // Every rank failed: each distinct message once, by the lowest rank that has it; one message
  // common to all ranks without a rank number.
  bool common = true;
  bool first_with_it = true;
  for (int r = 0; r < world_size; ++r) {
    common = common && all[r] == mine;
    if (r < rank && all[r] == mine) first_with_it = false;
  }
  if (first_with_it) print(prefix, common ? -1 : rank, message);
  return exit_code;
}

}  // namespace slatetrain
