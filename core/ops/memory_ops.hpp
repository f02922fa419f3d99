// MemoryOps: device memory, copies between host and device, fills, and waiting for the device.
// One family of the Backend's ops (core/backend.hpp states the conventions every op follows);
// CpuBackend implements it as the reference, CudaBackend as its twin.
#pragma once

#include <cstddef>
#include <cstdint>

namespace slatetrain {

class MemoryOps {
 public:
  virtual ~MemoryOps() = default;

  // Device memory of at least `bytes` (aligned to 64 bytes); deallocate(nullptr) is a no-op.
  virtual void* allocate(size_t bytes) = 0;
  virtual void deallocate(void* pointer) = 0;
  // Copies between host memory and this backend's memory, and within this backend's memory.
  virtual void copy_to_device(void* device_destination, const void* host_source, size_t bytes) = 0;
  virtual void copy_to_host(void* host_destination, const void* device_source, size_t bytes) = 0;
  virtual void copy_on_device(void* device_destination, const void* device_source,
                              size_t bytes) = 0;
  // Sets bytes to zero.
  virtual void zero(void* pointer, size_t bytes) = 0;
  // shapes: x [n]; x[i] = value.
  virtual void fill(float* x, int64_t n, float value) = 0;
  virtual void fill_int32(int32_t* x, int64_t n, int32_t value) = 0;
  // Waits for every op issued so far.
  virtual void synchronize() = 0;
};

}  // namespace slatetrain
