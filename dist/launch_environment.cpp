#include "dist/launch_environment.hpp"

#include <cstdlib>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace slatetrain {
namespace {

bool parse_int(const std::string& text, int* value) {
  if (text.empty()) return false;
  char* end = nullptr;
  const long parsed = std::strtol(text.c_str(), &end, 10);
  if (*end != '\0' || parsed < 0 || parsed > 1'000'000'000) return false;
  *value = static_cast<int>(parsed);
  return true;
}

int required_int(const EnvironmentLookup& lookup, const char* name) {
  const char* text = lookup(name);
  REQUIRE(text != nullptr, "launch environment: " << name << " is not set");
  int value = 0;
  REQUIRE(parse_int(text, &value),
          "launch environment: " << name << "='" << text << "' is not a non-negative integer");
  return value;
}

void check_consistent(const LaunchEnvironment& environment) {
  REQUIRE(environment.world_size >= 1 && environment.rank < environment.world_size,
          "launch environment (" << environment.launcher << "): rank " << environment.rank
                                 << " outside world of " << environment.world_size);
  REQUIRE(environment.local_size >= 1 && environment.local_rank < environment.local_size &&
              environment.local_size <= environment.world_size,
          "launch environment (" << environment.launcher << "): local rank "
                                 << environment.local_rank << " of local size "
                                 << environment.local_size << " in world of "
                                 << environment.world_size);
}

}  // namespace

std::vector<int> parse_slurm_tasks_per_node(const std::string& text) {
  std::vector<int> counts;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = text.find(',', start);
    const std::string entry =
        text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    int tasks = 0;
    int repeat = 1;
    const size_t open = entry.find("(x");
    const bool parsed =
        open == std::string::npos
            ? parse_int(entry, &tasks)
            : entry.back() == ')' && parse_int(entry.substr(0, open), &tasks) &&
                  parse_int(entry.substr(open + 2, entry.size() - open - 3), &repeat);
    REQUIRE(parsed, "SLURM_TASKS_PER_NODE='" << text << "': cannot read entry '" << entry << "'");
    counts.insert(counts.end(), repeat, tasks);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return counts;
}

LaunchEnvironment detect_launch_environment(const EnvironmentLookup& lookup) {
  LaunchEnvironment environment;
  if (lookup("OMPI_COMM_WORLD_RANK") != nullptr) {
    environment.launcher = "openmpi";
    environment.rank = required_int(lookup, "OMPI_COMM_WORLD_RANK");
    environment.world_size = required_int(lookup, "OMPI_COMM_WORLD_SIZE");
    environment.local_rank = required_int(lookup, "OMPI_COMM_WORLD_LOCAL_RANK");
    environment.local_size = required_int(lookup, "OMPI_COMM_WORLD_LOCAL_SIZE");
  } else if (lookup("SLURM_PROCID") != nullptr && lookup("SLURM_LOCALID") != nullptr) {
    // SLURM_LOCALID is set for tasks of a step (srun), not in the batch script itself, where a
    // plain `slatetrain` is one process whatever SLURM_NTASKS says.
    environment.launcher = "slurm";
    environment.rank = required_int(lookup, "SLURM_PROCID");
    environment.world_size = lookup("SLURM_NTASKS") != nullptr
                                 ? required_int(lookup, "SLURM_NTASKS")
                                 : required_int(lookup, "SLURM_NPROCS");
    environment.local_rank = required_int(lookup, "SLURM_LOCALID");
    if (lookup("SLURM_NTASKS_PER_NODE") != nullptr) {
      environment.local_size = required_int(lookup, "SLURM_NTASKS_PER_NODE");
    } else if (lookup("SLURM_TASKS_PER_NODE") != nullptr) {
      const std::vector<int> per_node = parse_slurm_tasks_per_node(lookup("SLURM_TASKS_PER_NODE"));
      const int node = lookup("SLURM_NODEID") != nullptr ? required_int(lookup, "SLURM_NODEID") : 0;
      REQUIRE(node < static_cast<int>(per_node.size()),
              "SLURM_NODEID=" << node << " but SLURM_TASKS_PER_NODE lists " << per_node.size()
                              << " nodes");
      environment.local_size = per_node[node];
    } else {
      environment.local_size = environment.world_size;
    }
  }
  check_consistent(environment);
  return environment;
}

LaunchEnvironment detect_launch_environment() {
  return detect_launch_environment([](const char* name) { return std::getenv(name); });
}

int device_for_rank(const LaunchEnvironment& environment, int visible_devices) {
  REQUIRE(visible_devices > 0, "rank " << environment.rank << " sees no devices");
  return environment.local_rank % visible_devices;
}

}  // namespace slatetrain
