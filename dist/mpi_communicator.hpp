// Communicator over MPI on host buffers. Works on a duplicate of the given communicator
// (MPI_COMM_WORLD by default) so its traffic never mixes with anyone else's, with
// MPI_ERRORS_RETURN so failures throw (CHECK_MPI).
// Counts above INT_MAX (MPI's int counts) are handled: reductions and broadcasts in chunks,
// ragged exchanges as chunked point-to-point messages.
#pragma once

#include <mpi.h>

#include <climits>

#include "core/communicator.hpp"

namespace slatetrain {

class MpiCommunicator : public Communicator {
 public:
  // Needs MPI initialised (MpiSession). `comm` may be a sub-communicator (tests use
  // MPI_COMM_SELF to build the single-process reference inside a multi-rank job).
  explicit MpiCommunicator(MPI_Comm comm = MPI_COMM_WORLD);
  ~MpiCommunicator() override;

  MpiCommunicator(const MpiCommunicator&) = delete;
  MpiCommunicator& operator=(const MpiCommunicator&) = delete;

  int rank() const override { return rank_; }
  int world_size() const override { return world_size_; }
  std::string backend_name() const override { return "mpi"; }

  void allreduce(void* buffer, size_t count, ElementType type, ReduceOp op) override;
  void allgather(const void* send, size_t count, void* recv, ElementType type) override;
  void allgatherv(const void* send, size_t count, void* recv,
                  const std::vector<size_t>& recv_counts, ElementType type) override;
  void alltoall(const void* send, size_t count, void* recv, ElementType type) override;
  void alltoallv(const void* send, const std::vector<size_t>& send_counts, void* recv,
                 const std::vector<size_t>& recv_counts, ElementType type) override;
  void broadcast(void* buffer, size_t count, ElementType type, int root) override;
  void barrier() override;

  using Communicator::allreduce;
  using Communicator::broadcast;

  // The largest element count passed to one MPI call (INT_MAX). Tests lower it to run the
  // chunked paths on small buffers.
  void set_max_count_per_call(size_t count);
  MPI_Comm mpi_comm() const { return comm_; }

 private:
  // The ragged exchanges when a count or displacement does not fit in an int.
  void alltoallv_point_to_point(const void* send, const std::vector<size_t>& send_counts,
                                void* recv, const std::vector<size_t>& recv_counts,
                                ElementType type);
  void allgatherv_by_broadcasts(const void* send, size_t count, void* recv,
                                const std::vector<size_t>& recv_counts, ElementType type);
  bool fits_in_one_call(const std::vector<size_t>& counts) const;
  void check_counts(const std::vector<size_t>& counts, const char* what) const;

  MPI_Comm comm_ = MPI_COMM_NULL;
  int rank_ = 0;
  int world_size_ = 1;
  size_t max_count_per_call_ = INT_MAX;
};

}  // namespace slatetrain
