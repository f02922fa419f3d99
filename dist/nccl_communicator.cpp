#include "dist/nccl_communicator.hpp"

#include <cstdlib>
#include <exception>
#include <numeric>
#include <thread>

#include "core/cuda_device.hpp"
#include "core/cuda_error.hpp"

namespace slatetrain {
namespace {

ncclDataType_t nccl_type(ElementType type) {
  switch (type) {
    case ElementType::kFloat32:
      return ncclFloat32;
    case ElementType::kFloat64:
      return ncclFloat64;
    case ElementType::kInt32:
      return ncclInt32;
    case ElementType::kInt64:
      return ncclInt64;
    case ElementType::kUInt8:
      return ncclUint8;
  }
  RAISE("unknown element type " << static_cast<int>(type));
}

ncclRedOp_t nccl_op(ReduceOp op) {
  switch (op) {
    case ReduceOp::kSum:
      return ncclSum;
    case ReduceOp::kMax:
      return ncclMax;
    case ReduceOp::kMin:
      return ncclMin;
  }
  RAISE("unknown reduce op " << static_cast<int>(op));
}

bool is_device_pointer(const void* pointer) {
  cudaPointerAttributes attributes{};
  if (cudaPointerGetAttributes(&attributes, pointer) != cudaSuccess) {
    cudaGetLastError();  // an unknown pointer is plain host memory
    return false;
  }
  return attributes.type == cudaMemoryTypeDevice || attributes.type == cudaMemoryTypeManaged;
}

std::chrono::seconds timeout_from_environment() {
  const char* value = std::getenv("SLATETRAIN_NCCL_TIMEOUT_S");
  if (value == nullptr || *value == '\0') return std::chrono::seconds(600);
  char* end = nullptr;
  const long seconds = std::strtol(value, &end, 10);
  REQUIRE(end != value && *end == '\0' && seconds > 0,
          "SLATETRAIN_NCCL_TIMEOUT_S='" << value << "' is not a positive number of seconds");
  return std::chrono::seconds(seconds);
}

void check_mpi(int status, const char* call) {
  if (status == MPI_SUCCESS) return;
  char message[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(status, message, &length);
  RAISE("MPI error in " << call << ": " << std::string(message, length));
}

}  // namespace

// A host buffer seen through device memory for the length of one collective: copied in on
// construction when it is an input, copied back by copy_back() when it is an output.
class NcclCommunicator::HostStaging {
 public:
  HostStaging(const void* pointer, size_t bytes, bool is_input, cudaStream_t stream)
      : host_(const_cast<void*>(pointer)), bytes_(bytes), stream_(stream) {
    if (pointer == nullptr || bytes == 0 || is_device_pointer(pointer)) {
      device_ = host_;
      return;
    }
    staged_ = true;
    CHECK_CUDA(cudaMallocAsync(&device_, bytes, stream));
    if (is_input)
      CHECK_CUDA(cudaMemcpyAsync(device_, host_, bytes, cudaMemcpyHostToDevice, stream));
  }
  ~HostStaging() {
    if (staged_) cudaFreeAsync(device_, stream_);
  }
  HostStaging(const HostStaging&) = delete;
  HostStaging& operator=(const HostStaging&) = delete;

  void* device() const { return device_; }
  bool staged() const { return staged_; }
  void copy_back() {
    if (staged_)
      CHECK_CUDA(cudaMemcpyAsync(host_, device_, bytes_, cudaMemcpyDeviceToHost, stream_));
  }

 private:
  void* host_;
  size_t bytes_;
  cudaStream_t stream_;
  void* device_ = nullptr;
  bool staged_ = false;
};

NcclCommunicator::NcclCommunicator(MPI_Comm mpi_communicator)
    : NcclCommunicator(mpi_communicator, Options()) {}

NcclCommunicator::NcclCommunicator(MPI_Comm mpi_communicator, const Options& options)
    : mpi_communicator_(mpi_communicator) {
  int mpi_initialised = 0;
  MPI_Initialized(&mpi_initialised);
  REQUIRE(mpi_initialised, "NcclCommunicator needs MPI to be initialised first");
  check_mpi(MPI_Comm_rank(mpi_communicator_, &rank_), "MPI_Comm_rank");
  check_mpi(MPI_Comm_size(mpi_communicator_, &world_size_), "MPI_Comm_size");
  timeout_ = options.timeout.count() > 0 ? options.timeout : timeout_from_environment();

  device_ = options.device >= 0 ? options.device : select_local_device();
  CHECK_CUDA(cudaSetDevice(device_));
  if (options.stream != nullptr) {
    stream_ = options.stream;
  } else {
    CHECK_CUDA(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
    owns_stream_ = true;
  }

  ncclUniqueId id{};
  if (rank_ == 0) CHECK_NCCL(ncclGetUniqueId(&id));
  check_mpi(MPI_Bcast(&id, sizeof(id), MPI_BYTE, 0, mpi_communicator_), "MPI_Bcast(ncclUniqueId)");

  // Non-blocking in NCCL's sense: no NCCL call can block forever, so a dead peer is seen as
  // a timeout that we can answer with ncclCommAbort.
  ncclConfig_t config = NCCL_CONFIG_INITIALIZER;
  config.blocking = 0;
  const ncclResult_t issued = ncclCommInitRankConfig(&nccl_, world_size_, id, rank_, &config);
  settle(issued, "ncclCommInitRank");
}

NcclCommunicator::~NcclCommunicator() {
  if (nccl_ != nullptr) {
    // Unwinding from a failure: peers may be gone, so never wait on them here.
    if (std::uncaught_exceptions() > 0) {
      ncclCommAbort(nccl_);
    } else {
      finalize_quietly();
    }
  }
  if (owns_stream_) cudaStreamDestroy(stream_);
}

void NcclCommunicator::settle(ncclResult_t issued, const char* operation) {
  if (issued != ncclSuccess && issued != ncclInProgress) {
    if (nccl_ != nullptr) abort_and_raise(cuda_status::describe(issued), operation);
    RAISE("rank " << rank_ << " (device " << device_ << "): " << cuda_status::describe(issued)
                  << " in " << operation);
  }
  if (issued == ncclSuccess || nccl_ == nullptr) return;
  const auto start = std::chrono::steady_clock::now();
  while (true) {
    ncclResult_t state = ncclSuccess;
    CHECK_NCCL(ncclCommGetAsyncError(nccl_, &state));
    if (state == ncclSuccess) return;
    if (state != ncclInProgress) abort_and_raise(cuda_status::describe(state), operation);
    if (std::chrono::steady_clock::now() - start > timeout_)
      abort_and_raise("no progress within " + std::to_string(timeout_.count()) +
                          " s (a peer rank may have died)",
                      operation);
    std::this_thread::yield();
  }
}

void NcclCommunicator::enqueue_in_group(ncclResult_t issued, const char* operation) {
  // Inside a group a non-blocking communicator may answer ncclInProgress; ncclGroupEnd settles.
  if (issued != ncclSuccess && issued != ncclInProgress)
    abort_and_raise(cuda_status::describe(issued), operation);
}

void NcclCommunicator::finalize_quietly() {
  // Finalize is collective (it flushes outstanding work with the peers); poll it with the same
  // timeout as collectives and abort instead of blocking forever. Never throws (destructor).
  cudaStreamSynchronize(stream_);
  ncclResult_t state = ncclCommFinalize(nccl_);
  const auto start = std::chrono::steady_clock::now();
  while (state == ncclInProgress) {
    if (std::chrono::steady_clock::now() - start > timeout_) {
      ncclCommAbort(nccl_);
      nccl_ = nullptr;
      return;
    }
    std::this_thread::yield();
    if (ncclCommGetAsyncError(nccl_, &state) != ncclSuccess) break;
  }
  if (state == ncclSuccess)
    ncclCommDestroy(nccl_);
  else
    ncclCommAbort(nccl_);
  nccl_ = nullptr;
}

void NcclCommunicator::wait_for(const char* operation) {
  check_usable(operation);
  const auto start = std::chrono::steady_clock::now();
  auto pause = std::chrono::microseconds(1);
  while (true) {
    const cudaError_t status = cudaStreamQuery(stream_);
    if (status == cudaSuccess) return;
    if (status != cudaErrorNotReady) abort_and_raise(cuda_status::describe(status), operation);
    ncclResult_t state = ncclSuccess;
    CHECK_NCCL(ncclCommGetAsyncError(nccl_, &state));
    if (state != ncclSuccess && state != ncclInProgress)
      abort_and_raise(cuda_status::describe(state), operation);
    if (std::chrono::steady_clock::now() - start > timeout_)
      abort_and_raise("not complete within " + std::to_string(timeout_.count()) +
                          " s (a peer rank may have died or stopped calling collectives)",
                      operation);
    // Short pauses first (collectives are usually fast), then back off to 1 ms.
    std::this_thread::sleep_for(pause);
    if (pause < std::chrono::microseconds(1000)) pause *= 2;
  }
}

void NcclCommunicator::wait() {
  wait_for("wait");
}

void NcclCommunicator::abort() {
  if (nccl_ == nullptr) return;
  ncclCommAbort(nccl_);
  nccl_ = nullptr;
}

void NcclCommunicator::check_usable(const char* operation) const {
  REQUIRE(nccl_ != nullptr, "rank " << rank_ << ": " << operation
                                    << " on an NCCL communicator that was aborted earlier");
}

void NcclCommunicator::finish(const char* operation) {
  if (blocking_) wait_for(operation);
}

void NcclCommunicator::abort_and_raise(const std::string& what, const char* operation) {
  if (nccl_ != nullptr) {
    ncclCommAbort(nccl_);
    nccl_ = nullptr;
  }
  RAISE("rank " << rank_ << " of " << world_size_ << " (device " << device_ << "): " << what
                << " during " << operation << "; NCCL communicator aborted");
}

void NcclCommunicator::allreduce(void* buffer, size_t count, ElementType type, ReduceOp op) {
  check_usable("allreduce");
  if (count == 0) return;
  HostStaging data(buffer, count * element_size(type), true, stream_);
  settle(ncclAllReduce(data.device(), data.device(), count, nccl_type(type), nccl_op(op), nccl_,
                       stream_),
         "allreduce");
  data.copy_back();
  if (data.staged())
    wait_for("allreduce");
  else
    finish("allreduce");
}

void NcclCommunicator::allgather(const void* send, size_t count, void* recv, ElementType type) {
  check_usable("allgather");
  if (count == 0) return;
  const size_t bytes = count * element_size(type);
  HostStaging input(send, bytes, true, stream_);
  HostStaging output(recv, bytes * world_size_, false, stream_);
  settle(ncclAllGather(input.device(), output.device(), count, nccl_type(type), nccl_, stream_),
         "allgather");
  output.copy_back();
  if (input.staged() || output.staged())
    wait_for("allgather");
  else
    finish("allgather");
}

void NcclCommunicator::allgatherv(const void* send, size_t count, void* recv,
                                  const std::vector<size_t>& recv_counts, ElementType type) {
  check_usable("allgatherv");
  REQUIRE(recv_counts.size() == static_cast<size_t>(world_size_),
          "rank " << rank_ << ": allgatherv got " << recv_counts.size()
                  << " receive counts for a world of " << world_size_);
  REQUIRE(recv_counts[rank_] == count, "rank " << rank_ << ": allgatherv sends " << count
                                               << " elements but recv_counts says "
                                               << recv_counts[rank_]);
  const size_t element = element_size(type);
  const size_t total = std::accumulate(recv_counts.begin(), recv_counts.end(), size_t{0});
  if (total == 0) return;
  HostStaging input(send, count * element, true, stream_);
  HostStaging output(recv, total * element, false, stream_);
  // NCCL has no allgatherv: one broadcast per root, fused into one group.
  settle(ncclGroupStart(), "allgatherv");
  size_t displacement = 0;
  for (int root = 0; root < world_size_; ++root) {
    if (recv_counts[root] > 0) {
      char* destination = static_cast<char*>(output.device()) + displacement * element;
      enqueue_in_group(ncclBroadcast(input.device(), destination, recv_counts[root],
                                     nccl_type(type), root, nccl_, stream_),
                       "allgatherv");
    }
    displacement += recv_counts[root];
  }
  settle(ncclGroupEnd(), "allgatherv");
  output.copy_back();
  if (input.staged() || output.staged())
    wait_for("allgatherv");
  else
    finish("allgatherv");
}

void NcclCommunicator::alltoall(const void* send, size_t count, void* recv, ElementType type) {
  const std::vector<size_t> counts(world_size_, count);
  alltoallv(send, counts, recv, counts, type);
}

void NcclCommunicator::alltoallv(const void* send, const std::vector<size_t>& send_counts,
                                 void* recv, const std::vector<size_t>& recv_counts,
                                 ElementType type) {
  check_usable("alltoallv");
  REQUIRE(send_counts.size() == static_cast<size_t>(world_size_) &&
              recv_counts.size() == static_cast<size_t>(world_size_),
          "rank " << rank_ << ": alltoallv got " << send_counts.size() << " send and "
                  << recv_counts.size() << " receive counts for a world of " << world_size_);
  const size_t element = element_size(type);
  const size_t send_total = std::accumulate(send_counts.begin(), send_counts.end(), size_t{0});
  const size_t recv_total = std::accumulate(recv_counts.begin(), recv_counts.end(), size_t{0});
  HostStaging input(send, send_total * element, true, stream_);
  HostStaging output(recv, recv_total * element, false, stream_);
  alltoallv_device(input.device(), send_counts, output.device(), recv_counts, type);
  output.copy_back();
  if (input.staged() || output.staged())
    wait_for("alltoallv");
  else
    finish("alltoallv");
}

void NcclCommunicator::alltoallv_device(const void* send, const std::vector<size_t>& send_counts,
                                        void* recv, const std::vector<size_t>& recv_counts,
                                        ElementType type) {
  const size_t element = element_size(type);
  // Grouped point-to-point: NCCL schedules all pairs at once. Empty blocks are skipped on
  // both sides (the peer's matching count is zero too).
  settle(ncclGroupStart(), "alltoallv");
  size_t send_offset = 0, recv_offset = 0;
  for (int peer = 0; peer < world_size_; ++peer) {
    if (send_counts[peer] > 0)
      enqueue_in_group(ncclSend(static_cast<const char*>(send) + send_offset * element,
                                send_counts[peer] * element, ncclUint8, peer, nccl_, stream_),
                       "alltoallv");
    if (recv_counts[peer] > 0)
      enqueue_in_group(ncclRecv(static_cast<char*>(recv) + recv_offset * element,
                                recv_counts[peer] * element, ncclUint8, peer, nccl_, stream_),
                       "alltoallv");
    send_offset += send_counts[peer];
    recv_offset += recv_counts[peer];
  }
  settle(ncclGroupEnd(), "alltoallv");
}

void NcclCommunicator::broadcast(void* buffer, size_t count, ElementType type, int root) {
  check_usable("broadcast");
  REQUIRE(root >= 0 && root < world_size_,
          "rank " << rank_ << ": broadcast root " << root << " outside a world of " << world_size_);
  if (count == 0) return;
  HostStaging data(buffer, count * element_size(type), true, stream_);
  settle(ncclBroadcast(data.device(), data.device(), count, nccl_type(type), root, nccl_, stream_),
         "broadcast");
  data.copy_back();
  if (data.staged())
    wait_for("broadcast");
  else
    finish("broadcast");
}

void NcclCommunicator::barrier() {
  wait_for("barrier");
  check_mpi(MPI_Barrier(mpi_communicator_), "MPI_Barrier");
}

}  // namespace slatetrain
