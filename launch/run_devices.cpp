#include "launch/run_devices.hpp"

#include "core/cpu_backend.hpp"

#ifdef SLATETRAIN_HAVE_CUDA
#include "core/cuda_backend.hpp"
#include "core/cuda_device.hpp"
#include "dist/nccl_communicator.hpp"
#endif

namespace slatetrain {

namespace {

Device choose_device(const std::string& wanted) {
  if (wanted == "cpu") return Device::kCpu;
  if (wanted == "cuda") return Device::kCuda;
#ifdef SLATETRAIN_HAVE_CUDA
  if (cuda_device_count() > 0) return Device::kCuda;
#endif
  return Device::kCpu;
}

}  // namespace

RunDevices::RunDevices(const RunConfig& config) {
  const Device device = choose_device(config.run.device);
  backend_ = make_backend(device);
  if (auto* cpu = dynamic_cast<CpuBackend*>(backend_.get()); cpu && config.run.threads > 0) {
    cpu->set_threads(config.run.threads);
  }
  host_ = std::make_unique<MpiCommunicator>();
#ifdef SLATETRAIN_HAVE_CUDA
  if (device == Device::kCuda) {
    NcclCommunicator::Options options;
    options.stream = static_cast<CudaBackend*>(backend_.get())->stream();
    device_communicator_ = std::make_unique<NcclCommunicator>(MPI_COMM_WORLD, options);
  }
#endif
}

RunDevices::~RunDevices() = default;

}  // namespace slatetrain
