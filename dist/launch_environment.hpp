// Where this process sits in the job, read from the launcher's variables before MPI starts
// (the device must be chosen before NCCL or CUDA initialise): Open MPI's mpirun, SLURM's
// srun, or a plain single process.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace slatetrain {

struct LaunchEnvironment {
  int rank = 0;
  int world_size = 1;
  int local_rank = 0;               // index among the ranks on this node
  int local_size = 1;               // ranks on this node
  std::string launcher = "single";  // "openmpi", "slurm" or "single"
};

// Looks a variable up; nullptr when unset. std::getenv by default; tests pass a map.
using EnvironmentLookup = std::function<const char*(const char*)>;

// Open MPI first (OMPI_COMM_WORLD_RANK/SIZE/LOCAL_RANK/LOCAL_SIZE: mpirun sets them, also
// inside a SLURM allocation), then SLURM (SLURM_PROCID, SLURM_NTASKS, SLURM_LOCALID, and
// SLURM_NTASKS_PER_NODE or SLURM_TASKS_PER_NODE with SLURM_NODEID), else a single process.
// A malformed or inconsistent value is an Error naming the variable.
LaunchEnvironment detect_launch_environment(const EnvironmentLookup& lookup);
LaunchEnvironment detect_launch_environment();

// The device a rank uses: local_rank % visible_devices (ranks on a node share them round-robin).
int device_for_rank(const LaunchEnvironment& environment, int visible_devices);

// Expands SLURM's compressed task counts, "2(x3),1" -> {2, 2, 2, 1}.
std::vector<int> parse_slurm_tasks_per_node(const std::string& text);

}  // namespace slatetrain
