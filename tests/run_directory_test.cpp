// The run directory's pieces in one process (docs/RUN_DIRECTORY.md): the rotation removes only
// the run's own checkpoints, the lock refuses a second holder naming the first, a fresh start
// is refused over checkpoints and --overwrite moves them aside, metrics lines are whole.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "core/error.hpp"
#include "dist/checkpoint_directory.hpp"
#include "launch/metrics_log.hpp"
#include "launch/run_directory.hpp"

namespace slatetrain {
namespace {

namespace fs = std::filesystem;

class RunDirectoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("slatetrain-run-directory-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  void TearDown() override { fs::remove_all(root_); }

  // A stand-in checkpoint file (the rotation looks at names only).
  static void touch(const std::string& path) { std::ofstream(path) << "x"; }

  fs::path root_;
};

TEST_F(RunDirectoryTest, RotationRemovesOnlyTheRunsOwnCheckpoints) {
  CheckpointDirectory checkpoints(root_.string(), 2);
  checkpoints.prepare();
  const std::string foreign = checkpoints.final_path(1);
  touch(foreign);  // another run's, with a lower step
  for (int64_t step = 10; step <= 13; ++step) {
    touch(checkpoints.temporary_path(step));
    checkpoints.commit(checkpoints.temporary_path(step), checkpoints.final_path(step), true);
  }
  EXPECT_TRUE(fs::exists(foreign));
  EXPECT_FALSE(fs::exists(checkpoints.final_path(10)));
  EXPECT_FALSE(fs::exists(checkpoints.final_path(11)));
  EXPECT_TRUE(fs::exists(checkpoints.final_path(12)));
  EXPECT_TRUE(fs::exists(checkpoints.final_path(13)));
  // best.h5 is outside the rotation.
  touch(checkpoints.best_temporary_path());
  checkpoints.commit(checkpoints.best_temporary_path(), checkpoints.best_path(), false);
  touch(checkpoints.temporary_path(14));
  const auto removed =
      checkpoints.commit(checkpoints.temporary_path(14), checkpoints.final_path(14), true);
  EXPECT_EQ(removed, std::vector<std::string>{checkpoints.final_path(12)});
  EXPECT_TRUE(fs::exists(checkpoints.best_path()));
  EXPECT_TRUE(fs::exists(foreign));
}

TEST_F(RunDirectoryTest, AdoptedCheckpointsRotate) {
  CheckpointDirectory checkpoints(root_.string(), 1);
  checkpoints.prepare();
  touch(checkpoints.final_path(5));
  checkpoints.adopt(checkpoints.final_path(5));  // a resumed run's earlier checkpoint
  touch(checkpoints.temporary_path(6));
  checkpoints.commit(checkpoints.temporary_path(6), checkpoints.final_path(6), true);
  EXPECT_FALSE(fs::exists(checkpoints.final_path(5)));
  EXPECT_EQ(CheckpointDirectory::step_of_name(checkpoints.final_path(6)), 6);
  EXPECT_EQ(CheckpointDirectory::step_of_name(checkpoints.best_path()), -1);
}

TEST_F(RunDirectoryTest, SecondLockIsRefusedNamingTheHolder) {
  RunDirectoryLock first(root_.string());
  try {
    RunDirectoryLock second(root_.string());
    FAIL() << "a second lock was granted";
  } catch (const Error& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find("pid " + std::to_string(::getpid())), std::string::npos) << message;
    EXPECT_NE(message.find(host_name()), std::string::npos) << message;
  }
}

TEST_F(RunDirectoryTest, LockIsFreeAgainAfterTheHolder) {
  { RunDirectoryLock first(root_.string()); }
  EXPECT_NO_THROW(RunDirectoryLock again(root_.string()));
}

TEST_F(RunDirectoryTest, FreshStartOverCheckpointsIsRefusedAndOverwriteMovesThemAside) {
  CheckpointDirectory checkpoints(root_.string(), 2);
  EXPECT_EQ(claim_run_directory(root_.string(), checkpoints, false), "");  // empty: fine
  checkpoints.prepare();
  touch(checkpoints.final_path(3));
  touch((root_ / "metrics.jsonl").string());
  try {
    claim_run_directory(root_.string(), checkpoints, false);
    FAIL() << "a fresh start over a checkpoint was allowed";
  } catch (const Error& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find("--resume"), std::string::npos) << message;
    EXPECT_NE(message.find("--overwrite"), std::string::npos) << message;
  }
  EXPECT_TRUE(fs::exists(checkpoints.final_path(3)));
  const std::string aside = claim_run_directory(root_.string(), checkpoints, true);
  ASSERT_FALSE(aside.empty());
  EXPECT_TRUE(fs::exists(fs::path(aside) / "checkpoints" / "checkpoint-000000000003.h5"));
  EXPECT_TRUE(fs::exists(fs::path(aside) / "metrics.jsonl"));
  EXPECT_FALSE(fs::exists(checkpoints.final_path(3)));
  EXPECT_TRUE(checkpoints.all_checkpoints().empty());
}

TEST_F(RunDirectoryTest, MetricsLinesAreWholeAndAppended) {
  const std::string path = (root_ / "metrics.jsonl").string();
  {
    MetricsLog log;
    log.open(path);
    log.write({{"phase", "start"}, {"step", 0}});
    log.sync();
  }
  {
    MetricsLog log;
    log.open(path);
    log.write({{"phase", "resume"}, {"step", 4}});
  }
  std::ifstream file(path);
  std::string first, second, rest;
  std::getline(file, first);
  std::getline(file, second);
  EXPECT_EQ(first, R"({"phase":"start","step":0})");
  EXPECT_EQ(second, R"({"phase":"resume","step":4})");
  EXPECT_FALSE(std::getline(file, rest));
}

}  // namespace
}  // namespace slatetrain
