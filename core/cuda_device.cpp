#include "core/cuda_device.hpp"

#include <cuda_runtime.h>

#include <cstdlib>
#include <string>

#include "core/cuda_error.hpp"

namespace slatetrain {

int local_rank_from_environment() {
  for (const char* name : {"OMPI_COMM_WORLD_LOCAL_RANK", "SLURM_LOCALID", "MPI_LOCALRANKID"}) {
    const char* value = std::getenv(name);
    if (value == nullptr || *value == '\0') continue;
    char* end = nullptr;
    const long parsed = std::strtol(value, &end, 10);
    REQUIRE(end != value && *end == '\0' && parsed >= 0,
            "environment variable " << name << "='" << value << "' is not a local rank");
    return static_cast<int>(parsed);
  }
  return 0;
}

int cuda_device_count() {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    cudaGetLastError();  // "no device" / "no driver" is an answer here, not a failure
    return 0;
  }
  return count;
}

int select_local_device() {
  const int count = cuda_device_count();
  REQUIRE(count > 0,
          "no CUDA device is visible (CUDA_VISIBLE_DEVICES='"
              << (std::getenv("CUDA_VISIBLE_DEVICES") ? std::getenv("CUDA_VISIBLE_DEVICES") : "")
              << "'); use device: cpu");
  return local_rank_from_environment() % count;
}

}  // namespace slatetrain
