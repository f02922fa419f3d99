#include "dist/mpi_communicator.hpp"

#include <algorithm>
#include <cstring>

#include "core/error.hpp"
#include "dist/mpi_error.hpp"

namespace slatetrain {
namespace {

MPI_Datatype mpi_type_of(ElementType type) {
  switch (type) {
    case ElementType::kFloat32:
      return MPI_FLOAT;
    case ElementType::kFloat64:
      return MPI_DOUBLE;
    case ElementType::kInt32:
      return MPI_INT32_T;
    case ElementType::kInt64:
      return MPI_INT64_T;
    case ElementType::kUInt8:
      return MPI_UINT8_T;
  }
  RAISE("unknown ElementType " << static_cast<int>(type));
}

MPI_Op mpi_op_of(ReduceOp op) {
  switch (op) {
    case ReduceOp::kSum:
      return MPI_SUM;
    case ReduceOp::kMax:
      return MPI_MAX;
    case ReduceOp::kMin:
      return MPI_MIN;
  }
  RAISE("unknown ReduceOp " << static_cast<int>(op));
}

// Exclusive prefix sums: where each rank's block starts.
std::vector<size_t> displacements_of(const std::vector<size_t>& counts) {
  std::vector<size_t> displacements(counts.size(), 0);
  for (size_t r = 1; r < counts.size(); ++r)
    displacements[r] = displacements[r - 1] + counts[r - 1];
  return displacements;
}

std::vector<int> to_ints(const std::vector<size_t>& values) {
  return std::vector<int>(values.begin(), values.end());
}

char* byte_offset(void* base, size_t elements, size_t bytes_per_element) {
  return static_cast<char*>(base) + elements * bytes_per_element;
}
const char* byte_offset(const void* base, size_t elements, size_t bytes_per_element) {
  return static_cast<const char*>(base) + elements * bytes_per_element;
}

constexpr int kExchangeTag = 7301;

}  // namespace

MpiCommunicator::MpiCommunicator(MPI_Comm comm) {
  CHECK_MPI(MPI_Comm_dup(comm, &comm_));
  CHECK_MPI(MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN));
  CHECK_MPI(MPI_Comm_rank(comm_, &rank_));
  CHECK_MPI(MPI_Comm_size(comm_, &world_size_));
}

MpiCommunicator::~MpiCommunicator() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized && comm_ != MPI_COMM_NULL) MPI_Comm_free(&comm_);
}

void MpiCommunicator::set_max_count_per_call(size_t count) {
  REQUIRE(count > 0 && count <= static_cast<size_t>(INT_MAX),
          "max count per MPI call must be in [1, INT_MAX], got " << count);
  max_count_per_call_ = count;
}

void MpiCommunicator::check_counts(const std::vector<size_t>& counts, const char* what) const {
  REQUIRE(counts.size() == static_cast<size_t>(world_size_),
          what << " has " << counts.size() << " counts on rank " << rank_ << ", world size is "
               << world_size_);
}

bool MpiCommunicator::fits_in_one_call(const std::vector<size_t>& counts) const {
  size_t total = 0;
  for (size_t count : counts) total += count;
  // Displacements are ints too: the total bounds every displacement and count.
  return total <= max_count_per_call_;
}

void MpiCommunicator::allreduce(void* buffer, size_t count, ElementType type, ReduceOp op) {
  const size_t bytes = element_size(type);
  for (size_t done = 0; done < count;) {
    const size_t piece = std::min(count - done, max_count_per_call_);
    CHECK_MPI(MPI_Allreduce(MPI_IN_PLACE, byte_offset(buffer, done, bytes), static_cast<int>(piece),
                            mpi_type_of(type), mpi_op_of(op), comm_));
    done += piece;
  }
}

void MpiCommunicator::allgather(const void* send, size_t count, void* recv, ElementType type) {
  const std::vector<size_t> counts(world_size_, count);
  if (fits_in_one_call(counts)) {
    CHECK_MPI(MPI_Allgather(send, static_cast<int>(count), mpi_type_of(type), recv,
                            static_cast<int>(count), mpi_type_of(type), comm_));
    return;
  }
  allgatherv_by_broadcasts(send, count, recv, counts, type);
}

void MpiCommunicator::allgatherv(const void* send, size_t count, void* recv,
                                 const std::vector<size_t>& recv_counts, ElementType type) {
  check_counts(recv_counts, "allgatherv recv_counts");
  REQUIRE(recv_counts[rank_] == count, "allgatherv on rank " << rank_ << ": sends " << count
                                                             << " elements but recv_counts says "
                                                             << recv_counts[rank_]);
  if (fits_in_one_call(recv_counts)) {
    const std::vector<int> counts = to_ints(recv_counts);
    const std::vector<int> displacements = to_ints(displacements_of(recv_counts));
    CHECK_MPI(MPI_Allgatherv(send, static_cast<int>(count), mpi_type_of(type), recv, counts.data(),
                             displacements.data(), mpi_type_of(type), comm_));
    return;
  }
  allgatherv_by_broadcasts(send, count, recv, recv_counts, type);
}

void MpiCommunicator::allgatherv_by_broadcasts(const void* send, size_t count, void* recv,
                                               const std::vector<size_t>& recv_counts,
                                               ElementType type) {
  const size_t bytes = element_size(type);
  const std::vector<size_t> displacements = displacements_of(recv_counts);
  // memmove's pointers must be valid even for 0 bytes, and an empty send buffer may be null.
  if (count > 0) std::memmove(byte_offset(recv, displacements[rank_], bytes), send, count * bytes);
  for (int root = 0; root < world_size_; ++root) {
    broadcast(byte_offset(recv, displacements[root], bytes), recv_counts[root], type, root);
  }
}

void MpiCommunicator::alltoall(const void* send, size_t count, void* recv, ElementType type) {
  const std::vector<size_t> counts(world_size_, count);
  if (fits_in_one_call(counts)) {
    CHECK_MPI(MPI_Alltoall(send, static_cast<int>(count), mpi_type_of(type), recv,
                           static_cast<int>(count), mpi_type_of(type), comm_));
    return;
  }
  alltoallv_point_to_point(send, counts, recv, counts, type);
}

void MpiCommunicator::alltoallv(const void* send, const std::vector<size_t>& send_counts,
                                void* recv, const std::vector<size_t>& recv_counts,
                                ElementType type) {
  check_counts(send_counts, "alltoallv send_counts");
  check_counts(recv_counts, "alltoallv recv_counts");
  // Every rank must take the same path, and each knows only its own counts: agree first.
  int fits = fits_in_one_call(send_counts) && fits_in_one_call(recv_counts) ? 1 : 0;
  CHECK_MPI(MPI_Allreduce(MPI_IN_PLACE, &fits, 1, MPI_INT, MPI_MIN, comm_));
  if (fits) {
    const std::vector<int> send_ints = to_ints(send_counts);
    const std::vector<int> recv_ints = to_ints(recv_counts);
    const std::vector<int> send_displacements = to_ints(displacements_of(send_counts));
    const std::vector<int> recv_displacements = to_ints(displacements_of(recv_counts));
    CHECK_MPI(MPI_Alltoallv(send, send_ints.data(), send_displacements.data(), mpi_type_of(type),
                            recv, recv_ints.data(), recv_displacements.data(), mpi_type_of(type),
                            comm_));
    return;
  }
  alltoallv_point_to_point(send, send_counts, recv, recv_counts, type);
}

void MpiCommunicator::alltoallv_point_to_point(const void* send,
                                               const std::vector<size_t>& send_counts, void* recv,
                                               const std::vector<size_t>& recv_counts,
                                               ElementType type) {
  const size_t bytes = element_size(type);
  const std::vector<size_t> send_displacements = displacements_of(send_counts);
  const std::vector<size_t> recv_displacements = displacements_of(recv_counts);
  // Messages between one pair with one tag arrive in the order they were posted, so each
  // block goes as consecutive pieces of at most max_count_per_call_ elements.
  std::vector<MPI_Request> requests;
  for (int peer = 0; peer < world_size_; ++peer) {
    for (size_t done = 0; done < recv_counts[peer];) {
      const size_t piece = std::min(recv_counts[peer] - done, max_count_per_call_);
      requests.emplace_back();
      CHECK_MPI(MPI_Irecv(byte_offset(recv, recv_displacements[peer] + done, bytes),
                          static_cast<int>(piece), mpi_type_of(type), peer, kExchangeTag, comm_,
                          &requests.back()));
      done += piece;
    }
  }
  for (int peer = 0; peer < world_size_; ++peer) {
    for (size_t done = 0; done < send_counts[peer];) {
      const size_t piece = std::min(send_counts[peer] - done, max_count_per_call_);
      requests.emplace_back();
      CHECK_MPI(MPI_Isend(byte_offset(send, send_displacements[peer] + done, bytes),
                          static_cast<int>(piece), mpi_type_of(type), peer, kExchangeTag, comm_,
                          &requests.back()));
      done += piece;
    }
  }
  CHECK_MPI(MPI_Waitall(static_cast<int>(requests.size()), requests.data(), MPI_STATUSES_IGNORE));
}

void MpiCommunicator::broadcast(void* buffer, size_t count, ElementType type, int root) {
  REQUIRE(root >= 0 && root < world_size_,
          "broadcast root " << root << " outside world of " << world_size_);
  const size_t bytes = element_size(type);
  for (size_t done = 0; done < count;) {
    const size_t piece = std::min(count - done, max_count_per_call_);
    CHECK_MPI(MPI_Bcast(byte_offset(buffer, done, bytes), static_cast<int>(piece),
                        mpi_type_of(type), root, comm_));
    done += piece;
  }
}

void MpiCommunicator::barrier() {
  CHECK_MPI(MPI_Barrier(comm_));
}

}  // namespace slatetrain
