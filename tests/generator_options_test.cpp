// Output handling and options: an existing output is kept unless forced (then replaced, with
// nothing left beside it); bad options are refused with a message naming the option before
// anything is written; `slateconvert synth` parses, reports and exits accordingly.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <functional>

#include "core/error.hpp"
#include "data/npz_reader.hpp"
#include "tests/generator_test_support.hpp"

namespace slatetrain {
namespace {

// Entries of a directory, as names.
std::vector<std::string> entries(const fs::path& directory) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(directory))
    names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

TEST(GeneratorOutput, ExistingOutputIsKeptWithoutForceAndReplacedWithIt) {
  const ScratchDirectory scratch("existing");
  const fs::path output = scratch.path() / "finn";
  fs::create_directories(output);
  std::ofstream(output / "keep.txt") << "mine\n";
  const GeneratorOptions options = small_options(100, 500);
  try {
    generate_finn_dataset(options, output.string(), /*force=*/false);
    FAIL() << "an existing output was overwritten without force";
  } catch (const Error& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find(output.string()), std::string::npos) << message;
    EXPECT_NE(message.find("--force"), std::string::npos) << message;
  }
  EXPECT_EQ(entries(output), std::vector<std::string>{"keep.txt"});
  EXPECT_EQ(entries(scratch.path()), std::vector<std::string>{"finn"});

  // --force replaces only what synth wrote (docs/DATA_SAFETY.md): the user's file stays.
  EXPECT_THROW(generate_finn_dataset(options, output.string(), /*force=*/true), Error);
  EXPECT_EQ(entries(output), std::vector<std::string>{"keep.txt"});
  fs::remove_all(output);

  generate_finn_dataset(options, output.string(), /*force=*/false);
  generate_finn_dataset(options, output.string(), /*force=*/true);
  EXPECT_TRUE(fs::exists(output / "data.npz"));
  // No temporary or old directory is left beside the output.
  EXPECT_EQ(entries(scratch.path()), std::vector<std::string>{"finn"});
  // A trailing slash names the same directory.
  generate_finn_dataset(options, output.string() + "/", /*force=*/true);
  EXPECT_EQ(entries(scratch.path()), std::vector<std::string>{"finn"});
}

TEST(GeneratorOutput, MissingParentDirectoriesAreCreated) {
  const ScratchDirectory scratch("parents");
  const fs::path output = scratch.path() / "a" / "b" / "finn";
  const GeneratorReport report =
      generate_finn_dataset(small_options(50, 500), output.string(), false);
  EXPECT_EQ(report.users, 50);
  EXPECT_EQ(NpzArchive((output / "data.npz").string()).info("slate").shape[0], 50);
}

struct BadOption {
  const char* name;                              // what the message must mention
  std::function<void(GeneratorOptions&)> spoil;  // makes the options bad
};

TEST(GeneratorOutput, BadOptionsAreRefusedByNameBeforeAnythingIsWritten) {
  const std::vector<BadOption> cases = {
      {"--users", [](GeneratorOptions& o) { o.num_users = 0; }},
      {"--users", [](GeneratorOptions& o) { o.num_users = int64_t(1) << 31; }},
      {"--items", [](GeneratorOptions& o) { o.num_items = 3; }},
      {"--items", [](GeneratorOptions& o) { o.num_items = int64_t(1) << 31; }},
      {"--groups", [](GeneratorOptions& o) { o.num_groups = -2; }},
      {"--groups", [](GeneratorOptions& o) { o.num_groups = 498; }},  // 497 real items
      {"--anomaly-rate", [](GeneratorOptions& o) { o.anomaly_rate = 0.6; }},
      {"--anomaly-rate", [](GeneratorOptions& o) { o.anomaly_rate = -0.1; }},
      {"--threads", [](GeneratorOptions& o) { o.threads = 0; }},
      {"--level", [](GeneratorOptions& o) { o.deflate_level = 10; }},
      {"--truth-users", [](GeneratorOptions& o) { o.truth_users = -1; }},
      {"--oracle-rollouts", [](GeneratorOptions& o) { o.oracle_rollouts = 1; }},
      {"split fractions", [](GeneratorOptions& o) { o.split.valid_fraction = 0.97; }},
      {"t_testsplit", [](GeneratorOptions& o) { o.split.t_testsplit = -1; }},
  };
  const ScratchDirectory scratch("bad-options");
  const fs::path output = scratch.path() / "finn";
  for (const BadOption& bad : cases) {
    GeneratorOptions options = small_options(100, 500);
    bad.spoil(options);
    try {
      generate_finn_dataset(options, output.string(), false);
      ADD_FAILURE() << bad.name << ": bad value accepted";
      fs::remove_all(output);
    } catch (const Error& error) {
      const std::string message = error.what();
      EXPECT_NE(message.find(bad.name), std::string::npos)
          << "message does not name " << bad.name << ": " << message;
    }
    EXPECT_TRUE(entries(scratch.path()).empty()) << bad.name << ": something was written";
  }
}

#ifdef SLATECONVERT_PATH

struct CommandResult {
  int exit_code = -1;
  std::string out, err;
};

// Runs `slateconvert synth <arguments>` with stdout and stderr captured in files.
CommandResult run_synth(const ScratchDirectory& scratch, const std::string& arguments) {
  const fs::path out = scratch.path() / "stdout.txt", err = scratch.path() / "stderr.txt";
  const std::string command = std::string(SLATECONVERT_PATH) + " synth " + arguments + " >" +
                              out.string() + " 2>" + err.string();
  const int status = std::system(command.c_str());
  CommandResult result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  result.out = read_bytes(out);
  result.err = read_bytes(err);
  fs::remove(out);
  fs::remove(err);
  return result;
}

TEST(GeneratorCommand, WritesTheRequestedFormatAndReports) {
  const ScratchDirectory scratch("command");
  const fs::path output = scratch.path() / "finn";
  const CommandResult run = run_synth(scratch, "--output " + output.string() +
                                                   " --users 120 --items 700 --seed 4 --int64 "
                                                   "--stored --anomaly-rate 0.02 --threads 3");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("synth: 120 users"), std::string::npos) << run.out;
  const NpzArchive data((output / "data.npz").string());
  EXPECT_EQ(data.info("slate").dtype, NpyDtype::kInt64);
  EXPECT_FALSE(data.compressed("slate"));
  const nlohmann::json generator = read_json(output / "generator.json");
  EXPECT_EQ(generator["users"].get<int64_t>(), 120);
  EXPECT_EQ(generator["items"].get<int64_t>(), 700);
  EXPECT_EQ(generator["seed"].get<int64_t>(), 4);
  EXPECT_DOUBLE_EQ(generator["anomaly_rate"].get<double>(), 0.02);
  // The command's figures are generator.json's.
  const std::string anomalies =
      "click not in slate " +
      std::to_string(generator["anomalies"]["click_not_in_slate"].get<int64_t>());
  EXPECT_NE(run.out.find(anomalies), std::string::npos) << run.out;

  // Again without --force: refused, exit 1, the message names the directory and --force.
  const CommandResult again = run_synth(scratch, "--output " + output.string() + " --users 10");
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.err.find(output.string()), std::string::npos) << again.err;
  EXPECT_NE(again.err.find("--force"), std::string::npos) << again.err;
  EXPECT_EQ(NpzArchive((output / "data.npz").string()).info("slate").shape[0], 120);
  const CommandResult forced =
      run_synth(scratch, "--output " + output.string() + " --users 10 --items 100 --force");
  EXPECT_EQ(forced.exit_code, 0) << forced.err;
  EXPECT_EQ(NpzArchive((output / "data.npz").string()).info("slate").shape[0], 10);
}

TEST(GeneratorCommand, BadArgumentsGiveAClearMessageAndNoOutput) {
  const ScratchDirectory scratch("command-bad");
  const std::string output = (scratch.path() / "finn").string();
  struct Case {
    std::string arguments, message;
    int exit_code;
  };
  // Unusable arguments exit 2 naming the option; a combination the options' ranges allow but
  // the generator refuses (more groups than items) exits 1.
  const std::vector<Case> cases = {
      {"--users 10", "--output is required", 2},
      {"--output " + output + " --colour blue", "unknown option '--colour'", 2},
      {"--output " + output + " --users", "--users needs a value", 2},
      {"--output " + output + " --users ten", "--users expects an integer, got 'ten'", 2},
      {"--output " + output + " --users 12x", "--users expects an integer, got '12x'", 2},
      {"--output " + output + " --users 0", "--users must be in [1, 2147483647], got 0", 2},
      {"--output " + output + " --items 99999999999999999999",
       "--items 99999999999999999999 is out of range", 2},
      {"--output " + output + " --threads 4294967297", "--threads 4294967297 is out of range", 2},
      {"--output " + output + " --groups -1", "--groups must be >= 0, got -1", 2},
      {"--output " + output + " --items 10 --groups 8", "--groups must be in 1..items-3", 1},
      {"--output " + output + " --anomaly-rate lots", "--anomaly-rate expects a number", 2},
      {"--output " + output + " --anomaly-rate 0.9", "--anomaly-rate must be in [0, 0.5], got 0.9",
       2},
      {"--output " + output + " --level 12", "--level must be in [0, 9], got 12", 2},
      {"--output " + output + " --oracle-rollouts 1",
       "--oracle-rollouts must be in [2, 1000000000]", 2},
      {"--output " + output + " --oracle-rollouts many",
       "--oracle-rollouts expects an integer, got 'many'", 2},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.arguments);
    const CommandResult run = run_synth(scratch, c.arguments);
    EXPECT_EQ(run.exit_code, c.exit_code) << run.err;
    EXPECT_NE(run.err.find(c.message), std::string::npos) << run.err;
    EXPECT_TRUE(run.out.empty()) << run.out;
    EXPECT_TRUE(entries(scratch.path()).empty()) << "something was written";
  }
  const CommandResult help = run_synth(scratch, "--help");
  EXPECT_EQ(help.exit_code, 0);
  for (const char* option :
       {"--output", "--users", "--items", "--seed", "--int64", "--stored", "--anomaly-rate",
        "--truth-users", "--oracle-rollouts", "--no-oracle", "--force"})
    EXPECT_NE(help.out.find(option), std::string::npos) << option;
}

#else

TEST(GeneratorCommand, SkippedWithoutSlateconvert) {
  GTEST_SKIP() << "slateconvert is not part of this build";
}

#endif

}  // namespace
}  // namespace slatetrain
