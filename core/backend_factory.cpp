// make_backend: the one place that knows which Backend implementations a build has.
#include <memory>

#include "core/backend.hpp"
#include "core/cpu_backend.hpp"
#include "core/error.hpp"

#ifdef SLATETRAIN_HAVE_CUDA
#include "core/cuda_backend.hpp"
#endif

namespace slatetrain {

std::unique_ptr<Backend> make_backend(Device device) {
  switch (device) {
    case Device::kCpu:
      return std::make_unique<CpuBackend>();
    case Device::kCuda:
#ifdef SLATETRAIN_HAVE_CUDA
      // The CUDA engineer's constructor goes here (device choice, stream, cuBLAS handle).
      return std::make_unique<CudaBackend>();
#else
      RAISE(
          "device 'cuda' requested, but this slatetrain build has no CUDA backend "
          "(configure with -DSLATETRAIN_CUDA=ON on a machine with nvcc)");
#endif
  }
  RAISE("unknown device " << static_cast<int>(device));
}

}  // namespace slatetrain
