// Rank, world, local rank and device from Open MPI's and SLURM's variables.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "core/error.hpp"
#include "dist/launch_environment.hpp"

namespace slatetrain {
namespace {

LaunchEnvironment detect(const std::map<std::string, std::string>& variables) {
  return detect_launch_environment([&](const char* name) -> const char* {
    auto found = variables.find(name);
    return found == variables.end() ? nullptr : found->second.c_str();
  });
}

TEST(LaunchEnvironment, SingleProcessWithoutLauncher) {
  const LaunchEnvironment environment = detect({});
  EXPECT_EQ(environment.launcher, "single");
  EXPECT_EQ(environment.rank, 0);
  EXPECT_EQ(environment.world_size, 1);
  EXPECT_EQ(environment.local_rank, 0);
  EXPECT_EQ(environment.local_size, 1);
}

TEST(LaunchEnvironment, OpenMpiWinsOverSlurm) {
  const LaunchEnvironment environment = detect({{"OMPI_COMM_WORLD_RANK", "5"},
                                                {"OMPI_COMM_WORLD_SIZE", "8"},
                                                {"OMPI_COMM_WORLD_LOCAL_RANK", "1"},
                                                {"OMPI_COMM_WORLD_LOCAL_SIZE", "4"},
                                                {"SLURM_PROCID", "0"},
                                                {"SLURM_LOCALID", "0"},
                                                {"SLURM_NTASKS", "1"}});
  EXPECT_EQ(environment.launcher, "openmpi");
  EXPECT_EQ(environment.rank, 5);
  EXPECT_EQ(environment.world_size, 8);
  EXPECT_EQ(environment.local_rank, 1);
  EXPECT_EQ(environment.local_size, 4);
  EXPECT_EQ(device_for_rank(environment, 4), 1);
  EXPECT_EQ(device_for_rank(environment, 1), 0);
}

TEST(LaunchEnvironment, SlurmWithCompressedTasksPerNode) {
  const LaunchEnvironment environment = detect({{"SLURM_PROCID", "6"},
                                                {"SLURM_NTASKS", "7"},
                                                {"SLURM_LOCALID", "0"},
                                                {"SLURM_NODEID", "3"},
                                                {"SLURM_TASKS_PER_NODE", "2(x3),1"}});
  EXPECT_EQ(environment.launcher, "slurm");
  EXPECT_EQ(environment.rank, 6);
  EXPECT_EQ(environment.world_size, 7);
  EXPECT_EQ(environment.local_rank, 0);
  EXPECT_EQ(environment.local_size, 1);
}

TEST(LaunchEnvironment, SlurmNtasksPerNode) {
  const LaunchEnvironment environment = detect({{"SLURM_PROCID", "3"},
                                                {"SLURM_NTASKS", "8"},
                                                {"SLURM_LOCALID", "3"},
                                                {"SLURM_NTASKS_PER_NODE", "4"}});
  EXPECT_EQ(environment.local_rank, 3);
  EXPECT_EQ(environment.local_size, 4);
  EXPECT_EQ(device_for_rank(environment, 2), 1);
}

TEST(LaunchEnvironment, SlurmBatchScriptWithoutStepIsOneProcess) {
  // In the batch script itself there is no SLURM_LOCALID: a plain run is a single process.
  const LaunchEnvironment environment = detect({{"SLURM_PROCID", "0"}, {"SLURM_NTASKS", "8"}});
  EXPECT_EQ(environment.launcher, "single");
  EXPECT_EQ(environment.world_size, 1);
}

TEST(LaunchEnvironment, ParsesTasksPerNodeLists) {
  EXPECT_EQ(parse_slurm_tasks_per_node("4"), std::vector<int>({4}));
  EXPECT_EQ(parse_slurm_tasks_per_node("2(x3),1"), std::vector<int>({2, 2, 2, 1}));
  EXPECT_EQ(parse_slurm_tasks_per_node("1,3(x2)"), std::vector<int>({1, 3, 3}));
  EXPECT_THROW(parse_slurm_tasks_per_node("2(x"), Error);
  EXPECT_THROW(parse_slurm_tasks_per_node("a"), Error);
}

TEST(LaunchEnvironment, BadValuesNameTheVariable) {
  try {
    detect({{"OMPI_COMM_WORLD_RANK", "x1"},
            {"OMPI_COMM_WORLD_SIZE", "2"},
            {"OMPI_COMM_WORLD_LOCAL_RANK", "0"},
            {"OMPI_COMM_WORLD_LOCAL_SIZE", "1"}});
    FAIL() << "expected an Error";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("OMPI_COMM_WORLD_RANK"), std::string::npos);
  }
  EXPECT_THROW(detect({{"OMPI_COMM_WORLD_RANK", "4"},
                       {"OMPI_COMM_WORLD_SIZE", "4"},
                       {"OMPI_COMM_WORLD_LOCAL_RANK", "0"},
                       {"OMPI_COMM_WORLD_LOCAL_SIZE", "1"}}),
               Error);
  EXPECT_THROW(device_for_rank(LaunchEnvironment{}, 0), Error);
}

}  // namespace
}  // namespace slatetrain
