// The collectives every part of training uses, behind one interface with two backends in dist/:
// MpiCommunicator (host buffers) and NcclCommunicator (device buffers, CUDA builds).
// All calls are collective: every rank calls them in the same order with matching counts.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace slatetrain {

enum class ElementType { kFloat32, kFloat64, kInt32, kInt64, kUInt8 };
enum class ReduceOp { kSum, kMax, kMin };

size_t element_size(ElementType type);

template <typename T>
constexpr ElementType element_type_of();
template <>
constexpr ElementType element_type_of<float>() { return ElementType::kFloat32; }
template <>
constexpr ElementType element_type_of<double>() { return ElementType::kFloat64; }
template <>
constexpr ElementType element_type_of<int32_t>() { return ElementType::kInt32; }
template <>
constexpr ElementType element_type_of<int64_t>() { return ElementType::kInt64; }
template <>
constexpr ElementType element_type_of<uint8_t>() { return ElementType::kUInt8; }

class Communicator {
 public:
  virtual ~Communicator() = default;

  virtual int rank() const = 0;
  virtual int world_size() const = 0;
  // "mpi" or "nccl".
  virtual std::string backend_name() const = 0;

  // In place: buffer[count] becomes the reduction over ranks.
  virtual void allreduce(void* buffer, size_t count, ElementType type, ReduceOp op) = 0;
  // recv[world * count] gets every rank's send[count], in rank order.
  virtual void allgather(const void* send, size_t count, void* recv, ElementType type) = 0;
  // recv gets rank r's send[recv_counts[r]] at displacement sum(recv_counts[0..r)).
  virtual void allgatherv(const void* send, size_t count, void* recv,
                          const std::vector<size_t>& recv_counts, ElementType type) = 0;
  // send[world * count]: block r goes to rank r; recv[world * count]: block r came from r.
  virtual void alltoall(const void* send, size_t count, void* recv, ElementType type) = 0;
  // Ragged all-to-all; blocks are packed in rank order (displacements are prefix sums).
  virtual void alltoallv(const void* send, const std::vector<size_t>& send_counts, void* recv,
                         const std::vector<size_t>& recv_counts, ElementType type) = 0;
  virtual void broadcast(void* buffer, size_t count, ElementType type, int root) = 0;
  virtual void barrier() = 0;

  // Typed conveniences.
  template <typename T>
  void allreduce(T* buffer, size_t count, ReduceOp op = ReduceOp::kSum) {
    allreduce(buffer, count, element_type_of<T>(), op);
  }
  template <typename T>
  T allreduce_value(T value, ReduceOp op = ReduceOp::kSum) {
    allreduce(&value, 1, element_type_of<T>(), op);
    return value;
  }
  template <typename T>
  void broadcast(T* buffer, size_t count, int root) {
    broadcast(buffer, count, element_type_of<T>(), root);
  }
};

}  // namespace slatetrain
