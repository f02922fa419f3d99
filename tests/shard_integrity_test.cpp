// The loader refuses damaged or foreign shards before training on them, naming the file
// (docs/FORMAT.md, "Integrity"): a flipped bit in a dataset (caught by the CRC-32 check before
// the first batch), a shard of another conversion with the same shape (its conversion id), a
// missing shard; an item id outside [0, num_items) is reported at decode with the file, the
// user row and the step. A manifest written before conversion ids still loads, with a warning.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "data/manifest.hpp"
#include "data/slate_loader.hpp"
#include "tests/loader_session_dataset.hpp"
#include "tests/loader_test_dataset.hpp"
#include "tests/shard_corruption.hpp"

namespace slatetrain {
namespace {

namespace fs = std::filesystem;
using testing::TestDataset;

constexpr int64_t kUsers = 200;

class ShardIntegrityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    split_.seed = 3;
    split_.valid_fraction = 0.1;
    split_.test_fraction = 0.1;
    dataset_ = testing::make_test_dataset(kUsers, 5, split_);
    directory_ = std::string(SLATETRAIN_BINARY_DIR) + "/shard_integrity_data/" +
                 ::testing::UnitTest::GetInstance()->current_test_info()->name();
    // Uncompressed, so a flipped bit lands in an element's raw bytes.
    testing::write_test_directory(dataset_, directory_, 2, /*gzip_level=*/0);
  }
  void TearDown() override {
    fs::remove_all(directory_);
    fs::remove_all(directory_ + "-other");
  }

  LoaderOptions options(LoaderPhase phase = LoaderPhase::kTrain) const {
    LoaderOptions options;
    options.directory = directory_;
    options.phase = phase;
    options.batch_users = 16;
    options.seed = 1;
    return options;
  }
  std::string shard(int index) const { return directory_ + "/" + shard_file_name(index, 2); }

  // The loader's construction and one whole epoch; the error text, or "" when none.
  std::string load_error(const LoaderOptions& opts) const {
    try {
      SlateLoader loader(opts, nullptr);
      loader.start_epoch(0);
      SequenceBatch batch;
      while (loader.next(batch)) {
      }
      return "";
    } catch (const Error& error) {
      return error.what();
    }
  }

  SplitParameters split_;
  TestDataset dataset_;
  std::string directory_;
};

void expect_contains(const std::string& text, const std::string& part) {
  EXPECT_NE(text.find(part), std::string::npos) << "'" << part << "' not in: " << text;
}

TEST_F(ShardIntegrityTest, AGoodDirectoryLoads) {
  EXPECT_EQ(load_error(options()), "");
  EXPECT_EQ(load_error(options(LoaderPhase::kValid)), "");
}

TEST_F(ShardIntegrityTest, AFlippedBitInADatasetIsRefusedBeforeTheFirstBatchNamingTheFile) {
  // A click id keeps its range after a low bit flips: only the checksum can see it.
  testing::flip_bit(shard(1), testing::dataset_element_offset(shard(1), "/steps/click", 40));
  const std::string message = load_error(options());
  ASSERT_NE(message, "") << "training on a bit-flipped shard was not refused";
  expect_contains(message, shard_file_name(1, 2));
  expect_contains(message, "CRC-32");
}

TEST_F(ShardIntegrityTest, AFlippedBitInASlateIsRefusedInEveryPhase) {
  testing::flip_bit(shard(0), testing::dataset_element_offset(shard(0), "/slates/item", 7), 1);
  for (const LoaderPhase phase : {LoaderPhase::kTrain, LoaderPhase::kValid, LoaderPhase::kTest})
    expect_contains(load_error(options(phase)), shard_file_name(0, 2));
}

TEST_F(ShardIntegrityTest, AShardOfAnotherConversionIsRefusedNamingTheFile) {
  // Another conversion of a dataset of the same shape.
  const TestDataset other = testing::make_test_dataset(kUsers, 6, split_);
  const std::string other_directory = directory_ + "-other";
  testing::write_test_directory(other, other_directory, 2, 0);
  fs::copy_file(other_directory + "/" + shard_file_name(1, 2), shard(1),
                fs::copy_options::overwrite_existing);
  std::string message = load_error(options());
  ASSERT_NE(message, "") << "a swapped-in shard was not refused";
  expect_contains(message, shard_file_name(1, 2));

  // Even with the manifest edited to the foreign file's size, CRC and counts, its conversion id
  // gives it away (with or without the CRC check).
  const Manifest foreign = Manifest::load(other_directory);
  nlohmann::json manifest;
  std::ifstream(directory_ + "/" + kManifestFile) >> manifest;
  for (const char* key : {"bytes", "crc32", "steps", "slate_items"})
    manifest["shards"][1][key] = foreign.to_json()["shards"][1][key];
  std::ofstream(directory_ + "/" + kManifestFile) << manifest.dump(2);
  for (const bool verify : {true, false}) {
    LoaderOptions opts = options();
    opts.verify_shards = verify;
    message = load_error(opts);
    expect_contains(message, shard_file_name(1, 2));
    expect_contains(message, "another conversion");
    expect_contains(message, foreign.conversion_id);
  }
  fs::remove_all(other_directory);
}

TEST_F(ShardIntegrityTest, AMissingShardIsNamed) {
  fs::remove(shard(0));
  const std::string message = load_error(options());
  expect_contains(message, shard_file_name(0, 2));
  expect_contains(message, "missing");
}

TEST_F(ShardIntegrityTest, AnIdOutOfRangeNamesTheFileTheUserRowAndTheStep) {
  // The conversion itself wrote the bad id (so every checksum holds): find a user with a
  // click in the second shard and push it past the item table.
  TestDataset bad = dataset_;
  testing::TestUser* target = nullptr;
  for (testing::TestUser& user : bad.users)
    if (user.row >= kUsers / 2 + 10 && !user.steps.empty() && target == nullptr) target = &user;
  ASSERT_NE(target, nullptr);
  target->steps.back().click = static_cast<int32_t>(bad.num_items + 3);
  testing::write_test_directory(bad, directory_, 2, 0);
  const std::string message = load_error(options());
  ASSERT_NE(message, "") << "an id past num_items was delivered";
  expect_contains(message, shard_file_name(1, 2));
  expect_contains(message, "user row " + std::to_string(target->row));
  expect_contains(message, "step t=" + std::to_string(target->steps.back().t));
  expect_contains(message, "click id " + std::to_string(bad.num_items + 3));

  // A negative id inside a slate.
  bad = dataset_;
  target = nullptr;
  for (testing::TestUser& user : bad.users)
    for (testing::TestStep& step : user.steps)
      if (target == nullptr && user.row < kUsers / 2 && step.slate.size() > 2) {
        step.slate[1] = -5;
        target = &user;
      }
  ASSERT_NE(target, nullptr);
  testing::write_test_directory(bad, directory_, 2, 0);
  const std::string slate_message = load_error(options());
  expect_contains(slate_message, shard_file_name(0, 2));
  expect_contains(slate_message, "user row " + std::to_string(target->row));
  expect_contains(slate_message, "item id -5");
}

TEST_F(ShardIntegrityTest, AManifestWithoutAConversionIdLoadsWithOneWarning) {
  nlohmann::json manifest;
  std::ifstream(directory_ + "/" + kManifestFile) >> manifest;
  manifest.erase("conversion_id");
  std::ofstream(directory_ + "/" + kManifestFile) << manifest.dump(2);
  ::testing::internal::CaptureStderr();
  const std::string first = load_error(options());
  const std::string second = load_error(options(LoaderPhase::kValid));
  const std::string warnings = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(first, "");
  EXPECT_EQ(second, "");
  expect_contains(warnings, "no conversion_id");
  EXPECT_EQ(warnings.find("no conversion_id"), warnings.rfind("no conversion_id"))
      << "warned more than once: " << warnings;
  // The CRC-32 check still holds for such a directory.
  testing::flip_bit(shard(0), testing::dataset_element_offset(shard(0), "/steps/click", 3));
  expect_contains(load_error(options()), "CRC-32");
}

TEST_F(ShardIntegrityTest, SessionShardsCarryTheConversionIdAndTheirChecksums) {
  const testing::SessionTestDataset sessions =
      testing::make_session_test_dataset(150, 8, Protocol::kLeaveOneOut);
  testing::write_session_test_directory(sessions, directory_, 2);
  EXPECT_EQ(load_error(options()), "");
  testing::flip_bit(shard(1), testing::dataset_element_offset(shard(1), "/steps/click", 11));
  const std::string message = load_error(options());
  expect_contains(message, shard_file_name(1, 2));
  expect_contains(message, "CRC-32");
}

}  // namespace
}  // namespace slatetrain
