// The Communicator on GPUs: NCCL collectives on device buffers, enqueued on a CUDA stream.
//
// - Set-up: rank 0 creates the ncclUniqueId and broadcasts it over MPI (MPI_Bcast on the
//   given MPI communicator; the program has initialised MPI); ranks and world size are MPI's.
// - Buffers: device pointers are used directly. Host pointers (e.g. allreduce_value on a
//   scalar) are detected and staged through device memory, so callers may pass either.
// - Completion: by default every call returns when the collective is done, like the MPI
//   backend. With set_blocking(false) calls only enqueue on stream() (work queued later on
//   the same stream is ordered after them) and wait() completes them; host-staged calls always
//   complete before returning.
// - Failures: the communicator is non-blocking in NCCL's sense, so waiting polls both the
//   stream and ncclCommGetAsyncError. An asynchronous NCCL error, or no completion within the
//   timeout (a dead or stuck peer), aborts the NCCL communicator and throws an Error naming
//   this rank, its device and the collective: the job ends with a message instead of a hang.
#pragma once

#include <cuda_runtime.h>
#include <mpi.h>
#include <nccl.h>

#include <chrono>
#include <string>
#include <vector>

#include "core/communicator.hpp"

namespace slatetrain {

class NcclCommunicator : public Communicator {
 public:
  struct Options {
    // CUDA device; -1 picks select_local_device() (local rank modulo visible devices).
    int device = -1;
    // Stream the collectives run on; nullptr creates one owned by the communicator. Pass the
    // backend's compute stream so collectives are ordered with the kernels around them.
    cudaStream_t stream = nullptr;
    // How long a wait may last before the peers are declared dead. Default: the environment
    // variable SLATETRAIN_NCCL_TIMEOUT_S, else 600 s.
    std::chrono::seconds timeout{0};
  };

  explicit NcclCommunicator(MPI_Comm mpi_communicator = MPI_COMM_WORLD);
  NcclCommunicator(MPI_Comm mpi_communicator, const Options& options);
  ~NcclCommunicator() override;
  NcclCommunicator(const NcclCommunicator&) = delete;
  NcclCommunicator& operator=(const NcclCommunicator&) = delete;

  int rank() const override { return rank_; }
  int world_size() const override { return world_size_; }
  std::string backend_name() const override { return "nccl"; }

  void allreduce(void* buffer, size_t count, ElementType type, ReduceOp op) override;
  void allgather(const void* send, size_t count, void* recv, ElementType type) override;
  void allgatherv(const void* send, size_t count, void* recv,
                  const std::vector<size_t>& recv_counts, ElementType type) override;
  void alltoall(const void* send, size_t count, void* recv, ElementType type) override;
  void alltoallv(const void* send, const std::vector<size_t>& send_counts, void* recv,
                 const std::vector<size_t>& recv_counts, ElementType type) override;
  void broadcast(void* buffer, size_t count, ElementType type, int root) override;
  // MPI barrier after the stream is drained: every rank's enqueued collectives are complete.
  void barrier() override;

  using Communicator::allreduce;
  using Communicator::broadcast;

  // Block until everything enqueued on stream() is complete (see Failures above).
  void wait();
  // Abort the NCCL communicator now (e.g. after another rank failed): pending collectives are
  // cancelled, nothing waits on peers; later calls throw. Safe to call twice.
  void abort();
  void set_blocking(bool blocking) { blocking_ = blocking; }
  bool blocking() const { return blocking_; }

  int device() const { return device_; }
  cudaStream_t stream() const { return stream_; }
  ncclComm_t nccl_communicator() const { return nccl_; }

 private:
  class HostStaging;

  void check_usable(const char* operation) const;
  void enqueue_in_group(ncclResult_t issued, const char* operation);
  void finalize_quietly();
  // Poll until NCCL's non-blocking calls on the communicator leave ncclInProgress.
  void settle(ncclResult_t issued, const char* operation);
  // Wait for the stream, checking NCCL's asynchronous error; aborts and throws on failure.
  void wait_for(const char* operation);
  void finish(const char* operation);
  [[noreturn]] void abort_and_raise(const std::string& what, const char* operation);
  void alltoallv_device(const void* send, const std::vector<size_t>& send_counts, void* recv,
                        const std::vector<size_t>& recv_counts, ElementType type);

  MPI_Comm mpi_communicator_;
  int rank_ = 0;
  int world_size_ = 1;
  int device_ = 0;
  cudaStream_t stream_ = nullptr;
  bool owns_stream_ = false;
  ncclComm_t nccl_ = nullptr;
  bool blocking_ = true;
  std::chrono::seconds timeout_{600};
};

}  // namespace slatetrain
