#include "dist/mpi_session.hpp"

#include <mpi.h>

#include <cstdio>
#include <cstdlib>
#include <exception>

#include "core/error.hpp"
#include "dist/failure_report.hpp"
#include "dist/mpi_error.hpp"

namespace slatetrain {

MpiSession::MpiSession(int* argc, char*** argv) {
  int initialized = 0;
  CHECK_MPI(MPI_Initialized(&initialized));
  if (!initialized) {
    int provided = 0;
    CHECK_MPI(MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided));
    owns_mpi_ = true;
    REQUIRE(provided >= MPI_THREAD_FUNNELED,
            "MPI provides thread level " << provided << ", slatetrain needs MPI_THREAD_FUNNELED");
  }
  CHECK_MPI(MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN));
  CHECK_MPI(MPI_Comm_rank(MPI_COMM_WORLD, &rank_));
  CHECK_MPI(MPI_Comm_size(MPI_COMM_WORLD, &world_size_));
  open_failure_reports();
}

MpiSession::~MpiSession() {
  if (!owns_mpi_) return;
  close_failure_reports();
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) MPI_Finalize();
}

void abort_job(const std::string& message, int exit_code) {
  const int rank = world_rank_or_unknown();
  if (rank >= 0) {
    std::fprintf(stderr, "slatetrain: rank %d failed: %s\n", rank, message.c_str());
    std::fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, exit_code);
  } else {
    std::fprintf(stderr, "slatetrain: failed: %s\n", message.c_str());
    std::fflush(stderr);
  }
  std::_Exit(exit_code);
}

int run_or_abort(const std::function<int()>& body) {
  try {
    return body();
  } catch (const std::exception& failure) {
    return report_failure(failure.what(), 1);
  } catch (...) {
    return report_failure("unknown exception", 1);
  }
}

}  // namespace slatetrain
