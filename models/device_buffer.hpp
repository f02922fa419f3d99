// Scratch and upload buffers the layers keep between forward and backward: a Tensor that is
// reallocated only when the size a batch needs changes.
#pragma once

#include <cstdint>
#include <vector>

#include "core/backend.hpp"
#include "core/tensor.hpp"

namespace slatetrain {

// Makes `tensor` hold exactly n elements of T on `backend` and returns its data.
template <typename T>
T* ensure_buffer(Backend& backend, Tensor& tensor, int64_t n) {
  if (tensor.empty() || tensor.numel() != n || tensor.dtype() != dtype_of<T>() ||
      tensor.backend() != &backend) {
    tensor = Tensor(backend, {n}, dtype_of<T>());
  }
  return tensor.data<T>();
}

// Copies n host values into `tensor` (on the backend's device) and returns the device pointer.
template <typename T>
const T* upload(Backend& backend, Tensor& tensor, const T* host, int64_t n) {
  T* device = ensure_buffer<T>(backend, tensor, n);
  if (n > 0) backend.copy_to_device(device, host, static_cast<size_t>(n) * sizeof(T));
  return device;
}

}  // namespace slatetrain
