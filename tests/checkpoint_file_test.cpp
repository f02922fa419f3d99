// The checkpoint file: everything written reads back; a torn or corrupted file is refused.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "core/error.hpp"
#include "dist/checkpoint_file.hpp"

namespace slatetrain {
namespace {

namespace fs = std::filesystem;

class CheckpointFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    directory_ = fs::temp_directory_path() /
                 ("checkpoint_file_test_" + std::to_string(getpid()) + "_" +
                  ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(directory_);
  }
  void TearDown() override { fs::remove_all(directory_); }

  // A checkpoint of a 1000 x 6 table written in uneven chunks.
  std::string write_example(CheckpointHeader* header_out = nullptr) {
    const std::string path = (directory_ / "example.h5").string();
    CheckpointFileWriter writer(path, kItems, kDim, {"first_moment"});
    writer.write_dense("parameters", dense_);
    writer.write_dense("second_moment", std::vector<float>(dense_.rbegin(), dense_.rend()));
    for (int64_t first = 0; first < kItems; first += 300) {
      const int64_t count = std::min<int64_t>(300, kItems - first);
      writer.write_embedding_rows("rows", first, count, rows_.data() + first * kDim);
      writer.write_embedding_rows("first_moment", first, count, rows_.data() + first * kDim);
    }
    CheckpointHeader header;
    header.step = 1234;
    header.epoch = 2;
    header.batches_into_epoch = 17;
    header.world_size = 3;
    header.seed = 99;
    header.rng_state = {1, 2, 3, 0xffffffffffffffffULL};
    header.config_yaml = "model:\n  dim: 6\n";
    header.dense_step = 1200;
    header.embedding_step = 1201;
    header.best_metric = 0.25;
    header.best_step = 1000;
    header.validations_without_improvement = 1;
    writer.finish(header);
    if (header_out) *header_out = header;
    return path;
  }

  static constexpr int64_t kItems = 1000, kDim = 6;
  fs::path directory_;
  std::vector<float> dense_ = [] {
    std::vector<float> v(70001);
    for (size_t i = 0; i < v.size(); ++i) v[i] = 0.001f * static_cast<float>(i) - 3.0f;
    return v;
  }();
  std::vector<float> rows_ = [] {
    std::vector<float> v(kItems * kDim);
    for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(i % 977) * 0.5f;
    return v;
  }();
};

TEST_F(CheckpointFileTest, RoundTripsEverything) {
  CheckpointHeader written;
  const auto path = write_example(&written);
  CheckpointFileReader reader(path);
  const auto& header = reader.header();
  EXPECT_EQ(header.step, written.step);
  EXPECT_EQ(header.epoch, written.epoch);
  EXPECT_EQ(header.batches_into_epoch, written.batches_into_epoch);
  EXPECT_EQ(header.world_size, written.world_size);
  EXPECT_EQ(header.seed, written.seed);
  EXPECT_EQ(header.rng_state, written.rng_state);
  EXPECT_EQ(header.config_yaml, written.config_yaml);
  EXPECT_EQ(header.dense_step, written.dense_step);
  EXPECT_EQ(header.embedding_step, written.embedding_step);
  EXPECT_EQ(header.best_metric, written.best_metric);
  EXPECT_EQ(header.best_step, written.best_step);
  EXPECT_EQ(header.validations_without_improvement, 1);
  EXPECT_EQ(reader.num_items(), kItems);
  EXPECT_EQ(reader.dim(), kDim);
  EXPECT_EQ(reader.read_dense("parameters"), dense_);
  EXPECT_EQ(reader.embedding_states(), std::vector<std::string>{"first_moment"});
  std::vector<float> rows(kItems * kDim);
  reader.read_embedding_rows("rows", 0, 400, rows.data());
  reader.read_embedding_rows("rows", 400, kItems - 400, rows.data() + 400 * kDim);
  EXPECT_EQ(rows, rows_);
}

TEST_F(CheckpointFileTest, CorruptedBytesAreRefused) {
  const auto path = write_example();
  // Flip bytes in the middle of the file, where the dense data lives.
  {
    std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
    file.seekg(0, std::ios::end);
    const auto size = static_cast<std::streamoff>(file.tellg());
    for (std::streamoff offset = size / 4; offset < size / 4 + 64; ++offset) {
      file.seekp(offset);
      file.put('\x5a');
    }
  }
  bool refused = false;
  try {
    CheckpointFileReader reader(path);
    reader.read_dense("parameters");
    reader.read_dense("second_moment");
    std::vector<float> rows(kItems * kDim);
    reader.read_embedding_rows("rows", 0, kItems, rows.data());
    reader.read_embedding_rows("first_moment", 0, kItems, rows.data());
  } catch (const Error& error) {
    refused = true;
    EXPECT_NE(std::string(error.what()).find(path), std::string::npos) << error.what();
  }
  EXPECT_TRUE(refused) << "a corrupted checkpoint was read without an error";
}

TEST_F(CheckpointFileTest, TruncatedAndIncompleteFilesAreRefused) {
  const auto path = write_example();
  fs::resize_file(path, fs::file_size(path) / 2);
  EXPECT_THROW(CheckpointFileReader{path}, Error);

  const std::string torn = (directory_ / "torn.h5").string();
  {
    CheckpointFileWriter writer(torn, 10, 2, {});
    writer.write_dense("parameters", {1, 2, 3});
    // No finish(): the writer is dropped as if the process had died.
  }
  try {
    CheckpointFileReader reader(torn);
    ADD_FAILURE() << "an incomplete checkpoint was accepted";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("incomplete"), std::string::npos) << error.what();
  }
  EXPECT_THROW(CheckpointFileReader{(directory_ / "missing.h5").string()}, Error);
}

// The dense vector's layout attribute is additive: a file written without one (as before it
// existed) reads back with an empty layout, and one written with it returns it verbatim.
TEST_F(CheckpointFileTest, DenseLayoutIsOptionalAndRoundTrips) {
  CheckpointFileReader old_style(write_example());
  EXPECT_EQ(old_style.dense_size("parameters"), static_cast<int64_t>(dense_.size()));
  EXPECT_EQ(old_style.dense_layout("parameters"), "");
  EXPECT_THROW(old_style.dense_layout("no_such"), Error);

  const std::string path = (directory_ / "layout.h5").string();
  const std::string layout = R"([{"name":"a","offset":0,"shape":[2,3]}])";
  {
    CheckpointFileWriter writer(path, 4, 2, {});
    writer.write_dense("parameters", std::vector<float>(6, 1.0f), layout);
    const std::vector<float> rows(8, 0.5f);
    writer.write_embedding_rows("rows", 0, 4, rows.data());
    writer.finish(CheckpointHeader{});
  }
  CheckpointFileReader reader(path);
  EXPECT_EQ(reader.dense_layout("parameters"), layout);
  EXPECT_EQ(reader.dense_size("parameters"), 6);
}

}  // namespace
}  // namespace slatetrain
