// main() of the multi-rank GoogleTest programs (run under mpirun by slatetrain_add_mpi_test).
// Rank 0 prints the usual output; other ranks print only their failures, tagged with the rank.
// A fatal failure (ASSERT_*, an exception) on any rank aborts the whole job at once: that rank
// would skip the collectives the others are waiting in, so continuing could only hang.
// The exit code is non-zero on every rank if any rank saw a failure.
#include <gtest/gtest.h>
#include <mpi.h>

#include <cstdio>

#include "dist/mpi_session.hpp"

namespace {

class RankFailureListener : public ::testing::EmptyTestEventListener {
 public:
  RankFailureListener(int rank, bool print_all_failures)
      : rank_(rank), print_all_failures_(print_all_failures) {}

  void OnTestPartResult(const ::testing::TestPartResult& result) override {
    if (!result.failed()) return;
    if (print_all_failures_) {
      std::fprintf(stderr, "[rank %d] failure at %s:%d\n%s\n", rank_,
                   result.file_name() ? result.file_name() : "?", result.line_number(),
                   result.message());
      std::fflush(stderr);
    }
    if (result.fatally_failed()) {
      slatetrain::abort_job(std::string("fatal test failure: ") + result.message());
    }
  }

 private:
  int rank_;
  bool print_all_failures_;
};

}  // namespace

int main(int argc, char** argv) {
  slatetrain::MpiSession mpi(&argc, &argv);
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::TestEventListeners& listeners = ::testing::UnitTest::GetInstance()->listeners();
  if (mpi.rank() != 0) delete listeners.Release(listeners.default_result_printer());
  // Rank 0's default printer already shows its failures in full.
  listeners.Append(new RankFailureListener(mpi.rank(), mpi.rank() != 0));
  int failed = RUN_ALL_TESTS() != 0 ? 1 : 0;
  MPI_Allreduce(MPI_IN_PLACE, &failed, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  if (failed && mpi.rank() == 0) std::fprintf(stderr, "some rank saw a test failure\n");
  return failed;
}
