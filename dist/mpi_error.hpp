// CHECK_MPI(call): turns a failed MPI call into slatetrain::Error naming the call, the rank,
// MPI's own message and the place. Needs MPI_ERRORS_RETURN on the communicator (MpiSession and
// MpiCommunicator set it), otherwise MPI aborts before we can say anything useful.
#pragma once

#include <mpi.h>

namespace slatetrain {

// Throws Error("MPI call <call> failed on rank R: <MPI_Error_string> (file:line)").
[[noreturn]] void throw_mpi_error(int code, const char* call, const char* file, int line);

// This process's rank in MPI_COMM_WORLD, or -1 when MPI is not initialised (for messages).
int world_rank_or_unknown();

}  // namespace slatetrain

#define CHECK_MPI(call)                                                    \
  do {                                                                     \
    const int mpi_code_ = (call);                                          \
    if (mpi_code_ != MPI_SUCCESS)                                          \
      ::slatetrain::throw_mpi_error(mpi_code_, #call, __FILE__, __LINE__); \
  } while (0)
