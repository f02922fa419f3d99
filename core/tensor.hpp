// Tensors: a shape, an element type, a device tag and storage owned through the Backend that
// allocated it. Deliberately small: layers work on raw typed pointers (tensor.data<float>())
// and the Backend ops take explicit sizes; the tensor only owns memory and checks types.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

namespace slatetrain {

class Backend;

enum class Device { kCpu, kCuda };
enum class DType { kFloat32, kInt32, kInt64, kUInt8 };

size_t dtype_size(DType dtype);
const char* dtype_name(DType dtype);
const char* device_name(Device device);

template <typename T>
constexpr DType dtype_of();
template <>
constexpr DType dtype_of<float>() {
  return DType::kFloat32;
}
template <>
constexpr DType dtype_of<int32_t>() {
  return DType::kInt32;
}
template <>
constexpr DType dtype_of<int64_t>() {
  return DType::kInt64;
}
template <>
constexpr DType dtype_of<uint8_t>() {
  return DType::kUInt8;
}

// "[4, 20, 25]" for error messages.
std::string shape_string(const std::vector<int64_t>& shape);

class Tensor {
 public:
  // An empty tensor: no storage, numel 0.
  Tensor() = default;
  // Allocates (uninitialised) storage for `shape` on `backend`, which must outlive the tensor.
  Tensor(Backend& backend, std::vector<int64_t> shape, DType dtype);
  ~Tensor();

  Tensor(const Tensor&) = delete;
  Tensor& operator=(const Tensor&) = delete;
  Tensor(Tensor&& other) noexcept;
  Tensor& operator=(Tensor&& other) noexcept;

  const std::vector<int64_t>& shape() const { return shape_; }
  int64_t rank() const { return static_cast<int64_t>(shape_.size()); }
  // Size of dimension `axis`; negative counts from the end (-1: the last).
  int64_t dim(int64_t axis) const;
  int64_t numel() const { return numel_; }
  size_t bytes() const { return static_cast<size_t>(numel_) * dtype_size(dtype_); }
  DType dtype() const { return dtype_; }
  Device device() const { return device_; }
  Backend* backend() const { return backend_; }
  bool empty() const { return numel_ == 0; }

  // Typed access; throws Error when T does not match the dtype.
  template <typename T>
  T* data() {
    check_dtype(dtype_of<T>());
    return static_cast<T*>(storage_);
  }
  template <typename T>
  const T* data() const {
    check_dtype(dtype_of<T>());
    return static_cast<const T*>(storage_);
  }
  void* raw() { return storage_; }
  const void* raw() const { return storage_; }

  // Same storage, new shape with the same numel (a view would complicate ownership: this
  // changes the tensor itself).
  void reshape(std::vector<int64_t> shape);
  // Sets every byte to zero (through the backend, so it works on any device).
  void zero();
  // Host <-> tensor copies of exactly numel elements of the tensor's dtype.
  template <typename T>
  void copy_from_host(const std::vector<T>& values) {
    check_dtype(dtype_of<T>());
    copy_from_host_bytes(values.data(), values.size() * sizeof(T));
  }
  template <typename T>
  std::vector<T> to_host() const {
    check_dtype(dtype_of<T>());
    std::vector<T> values(static_cast<size_t>(numel_));
    copy_to_host_bytes(values.data(), values.size() * sizeof(T));
    return values;
  }

 private:
  void check_dtype(DType requested) const;
  void copy_from_host_bytes(const void* source, size_t bytes);
  void copy_to_host_bytes(void* destination, size_t bytes) const;
  void release();

  Backend* backend_ = nullptr;
  void* storage_ = nullptr;
  std::vector<int64_t> shape_;
  int64_t numel_ = 0;
  DType dtype_ = DType::kFloat32;
  Device device_ = Device::kCpu;
};

}  // namespace slatetrain
