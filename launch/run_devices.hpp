// The backend and the communicators a run of `config` uses on this rank: run.device (cpu,
// cuda, or auto: CUDA when a device is visible), run.threads on CPU, MPI over host buffers,
// and for the backend's buffers the same MPI one on CPU or NCCL on GPU. Needs MPI initialised.
#pragma once

#include <memory>

#include "core/backend.hpp"
#include "core/communicator.hpp"
#include "dist/mpi_communicator.hpp"
#include "launch/run_config.hpp"

namespace slatetrain {

class RunDevices {
 public:
  explicit RunDevices(const RunConfig& config);
  ~RunDevices();
  RunDevices(const RunDevices&) = delete;
  RunDevices& operator=(const RunDevices&) = delete;

  Backend& backend() { return *backend_; }
  Communicator& host() { return *host_; }
  Communicator& device_communicator() {
    return device_communicator_ ? *device_communicator_ : *host_;
  }

 private:
  std::unique_ptr<Backend> backend_;
  std::unique_ptr<MpiCommunicator> host_;  // after the backend, as training always made it
  std::unique_ptr<Communicator> device_communicator_;  // NCCL on GPU; null: *host_
};

}  // namespace slatetrain
