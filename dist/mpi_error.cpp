#include "dist/mpi_error.hpp"

#include <cstdio>
#include <sstream>

#include "core/error.hpp"

namespace slatetrain {

int world_rank_or_unknown() {
  int initialized = 0;
  int finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  if (!initialized || finalized) return -1;
  int rank = -1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  return rank;
}

void throw_mpi_error(int code, const char* call, const char* file, int line) {
  char text[MPI_MAX_ERROR_STRING] = {};
  int length = 0;
  if (MPI_Error_string(code, text, &length) != MPI_SUCCESS) {
    std::snprintf(text, sizeof(text), "MPI error code %d", code);
  }
  std::ostringstream message;
  message << "MPI call " << call << " failed on rank " << world_rank_or_unknown() << ": " << text;
  throw_error(file, line, message.str());
}

}  // namespace slatetrain
