// MPI start-up and shut-down for a program, and the rule that one failing rank ends the job.
#pragma once

#include <functional>
#include <string>

namespace slatetrain {

// Initialises MPI (MPI_THREAD_FUNNELED: only the main thread calls MPI; the loader's prefetch
// thread never does) and finalises it on destruction. Sets MPI_ERRORS_RETURN on
// MPI_COMM_WORLD so failed calls become exceptions (CHECK_MPI). If MPI is already initialised,
// it neither initialises nor finalises (nested sessions in tests are harmless).
class MpiSession {
 public:
  MpiSession(int* argc, char*** argv);
  MpiSession() : MpiSession(nullptr, nullptr) {}
  ~MpiSession();

  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;

  int rank() const { return rank_; }
  int world_size() const { return world_size_; }

 private:
  bool owns_mpi_ = false;
  int rank_ = 0;
  int world_size_ = 1;
};

// Prints "slatetrain: rank R failed: <message>" to stderr and calls MPI_Abort on
// MPI_COMM_WORLD, so ranks blocked in a collective are killed instead of hanging.
// Without MPI it exits the process with `exit_code`.
[[noreturn]] void abort_job(const std::string& message, int exit_code = 1);

// Runs `body` and returns its exit code; if it throws, report_failure() (dist/failure_report.hpp):
// the message printed once for the job, exit code 1 through MPI_Finalize when every rank
// failed, MPI_Abort when only some did (so ranks blocked in a collective do not hang).
// Typical main: `MpiSession mpi(&argc, &argv); return run_or_abort([&] { return train(...); });`
int run_or_abort(const std::function<int()>& body);

}  // namespace slatetrain
