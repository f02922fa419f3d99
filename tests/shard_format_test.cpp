// Shard files and the manifest: what the writer appends the reader returns for any user range,
// the manifest survives save/load, and damaged input is refused naming the file.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "core/error.hpp"
#include "core/random.hpp"
#include "data/manifest.hpp"
#include "data/shard_items.hpp"
#include "data/shard_reader.hpp"
#include "data/shard_writer.hpp"

namespace slatetrain {
namespace {

namespace fs = std::filesystem;

fs::path scratch_directory(const std::string& name) {
  const fs::path path =
      fs::temp_directory_path() / ("slatetrain-" + name + "-" + std::to_string(getpid()));
  fs::remove_all(path);
  fs::create_directories(path);
  return path;
}

// A block of `users` users starting at source row `first_row`, with varied step and slate counts.
UserBlock make_block(int64_t first_row, int64_t users, uint64_t seed) {
  Random random(seed);
  UserBlock block;
  for (int64_t u = 0; u < users; ++u) {
    block.row.push_back(first_row + u);
    block.user_id.push_back(1000 + first_row + u);
    block.split.push_back(static_cast<uint8_t>(random.below(3)));
    const int steps = static_cast<int>(random.below(21));
    for (int t = 0; t < steps; ++t) {
      block.t.push_back(static_cast<uint8_t>(t));
      const int width = 1 + static_cast<int>(random.below(25));
      block.click.push_back(static_cast<int32_t>(random.below(1000)));
      block.click_idx.push_back(static_cast<uint8_t>(random.below(width)));
      block.slate_length.push_back(static_cast<uint8_t>(width));
      block.interaction_type.push_back(static_cast<uint8_t>(random.below(3)));
      for (int j = 0; j < width; ++j)
        block.slate_item.push_back(static_cast<int32_t>(random.below(1000)));
      block.slate_offsets.push_back(block.num_slate_items());
    }
    block.step_offsets.push_back(block.num_steps());
  }
  return block;
}

// The users [begin, end) of `whole`, rebased: what read_users must return.
UserBlock slice(const UserBlock& whole, int64_t begin, int64_t end) {
  UserBlock part;
  const int64_t s0 = whole.step_offsets[begin], s1 = whole.step_offsets[end];
  const int64_t m0 = whole.slate_offsets[s0], m1 = whole.slate_offsets[s1];
  part.row.assign(whole.row.begin() + begin, whole.row.begin() + end);
  part.user_id.assign(whole.user_id.begin() + begin, whole.user_id.begin() + end);
  part.split.assign(whole.split.begin() + begin, whole.split.begin() + end);
  part.step_offsets.clear();
  for (int64_t u = begin; u <= end; ++u) part.step_offsets.push_back(whole.step_offsets[u] - s0);
  part.t.assign(whole.t.begin() + s0, whole.t.begin() + s1);
  part.click.assign(whole.click.begin() + s0, whole.click.begin() + s1);
  part.click_idx.assign(whole.click_idx.begin() + s0, whole.click_idx.begin() + s1);
  part.slate_length.assign(whole.slate_length.begin() + s0, whole.slate_length.begin() + s1);
  part.interaction_type.assign(whole.interaction_type.begin() + s0,
                               whole.interaction_type.begin() + s1);
  part.slate_offsets.clear();
  for (int64_t i = s0; i <= s1; ++i) part.slate_offsets.push_back(whole.slate_offsets[i] - m0);
  part.slate_item.assign(whole.slate_item.begin() + m0, whole.slate_item.begin() + m1);
  return part;
}

// Appends `tail` after `head` (offsets shifted): the concatenation the writer should store.
UserBlock concatenate(const UserBlock& head, const UserBlock& tail) {
  UserBlock out = head;
  out.row.insert(out.row.end(), tail.row.begin(), tail.row.end());
  out.user_id.insert(out.user_id.end(), tail.user_id.begin(), tail.user_id.end());
  out.split.insert(out.split.end(), tail.split.begin(), tail.split.end());
  for (size_t u = 1; u < tail.step_offsets.size(); ++u)
    out.step_offsets.push_back(tail.step_offsets[u] + head.num_steps());
  out.t.insert(out.t.end(), tail.t.begin(), tail.t.end());
  out.click.insert(out.click.end(), tail.click.begin(), tail.click.end());
  out.click_idx.insert(out.click_idx.end(), tail.click_idx.begin(), tail.click_idx.end());
  out.slate_length.insert(out.slate_length.end(), tail.slate_length.begin(),
                          tail.slate_length.end());
  out.interaction_type.insert(out.interaction_type.end(), tail.interaction_type.begin(),
                              tail.interaction_type.end());
  for (size_t i = 1; i < tail.slate_offsets.size(); ++i)
    out.slate_offsets.push_back(tail.slate_offsets[i] + head.num_slate_items());
  out.slate_item.insert(out.slate_item.end(), tail.slate_item.begin(), tail.slate_item.end());
  return out;
}

template <typename T>
::testing::AssertionResult same_values(const char* name, const std::vector<T>& expected,
                                       const std::vector<T>& actual) {
  if (expected.size() != actual.size())
    return ::testing::AssertionFailure()
           << name << ": " << actual.size() << " values, expected " << expected.size();
  for (size_t i = 0; i < expected.size(); ++i) {
    if (expected[i] != actual[i])
      return ::testing::AssertionFailure()
             << name << "[" << i << "] = " << +actual[i] << ", expected " << +expected[i];
  }
  return ::testing::AssertionSuccess();
}

void expect_same_block(const UserBlock& expected, const UserBlock& actual) {
  EXPECT_TRUE(same_values("row", expected.row, actual.row));
  EXPECT_TRUE(same_values("user_id", expected.user_id, actual.user_id));
  EXPECT_TRUE(same_values("split", expected.split, actual.split));
  EXPECT_TRUE(same_values("step_offsets", expected.step_offsets, actual.step_offsets));
  EXPECT_TRUE(same_values("t", expected.t, actual.t));
  EXPECT_TRUE(same_values("click", expected.click, actual.click));
  EXPECT_TRUE(same_values("click_idx", expected.click_idx, actual.click_idx));
  EXPECT_TRUE(same_values("slate_length", expected.slate_length, actual.slate_length));
  EXPECT_TRUE(same_values("interaction_type", expected.interaction_type, actual.interaction_type));
  EXPECT_TRUE(same_values("slate_offsets", expected.slate_offsets, actual.slate_offsets));
  EXPECT_TRUE(same_values("slate_item", expected.slate_item, actual.slate_item));
}

class ShardFormat : public ::testing::TestWithParam<int> {};

TEST_P(ShardFormat, WriterBlocksReadBackForAnyUserRange) {
  const fs::path directory = scratch_directory("shard-format");
  const std::string path = (directory / "shard.h5").string();
  const UserBlock first = make_block(500, 37, 1), second = make_block(537, 52, 2);
  const UserBlock whole = concatenate(first, second);
  {
    ShardWriterOptions options;
    options.gzip_level = GetParam();
    options.expected_users = 89;
    ShardWriter writer(path, 2, 3, 500, options);
    writer.append(first);
    writer.append(UserBlock{});  // an empty block changes nothing
    writer.append(second);
    EXPECT_EQ(writer.users_written(), 89);
    EXPECT_EQ(writer.steps_written(), whole.num_steps());
    writer.close();
  }
  ShardReader reader(path);
  EXPECT_EQ(reader.num_users(), 89);
  EXPECT_EQ(reader.num_steps(), whole.num_steps());
  EXPECT_EQ(reader.num_slate_items(), whole.num_slate_items());
  EXPECT_EQ(reader.first_row(), 500);
  EXPECT_EQ(reader.shard_index(), 2);
  EXPECT_EQ(reader.shard_count(), 3);
  expect_same_block(whole, reader.read_users(0, 89));
  expect_same_block(slice(whole, 30, 41), reader.read_users(30, 41));  // across the two blocks
  expect_same_block(slice(whole, 88, 89), reader.read_users(88, 89));
  expect_same_block(slice(whole, 10, 10), reader.read_users(10, 10));
  EXPECT_TRUE(same_values("splits", whole.split, reader.read_splits()));
  EXPECT_THROW(reader.read_users(80, 90), Error);
  fs::remove_all(directory);
}

INSTANTIATE_TEST_SUITE_P(Gzip, ShardFormat, ::testing::Values(0, 1));

TEST(ShardFormatFiles, SameInputGivesByteIdenticalFiles) {
  const fs::path directory = scratch_directory("shard-reproducible");
  const UserBlock block = make_block(0, 40, 3);
  std::string contents[2];
  for (int i = 0; i < 2; ++i) {
    const std::string path = (directory / ("shard" + std::to_string(i) + ".h5")).string();
    ShardWriter writer(path, 0, 1, 0, ShardWriterOptions{});
    writer.append(block);
    writer.close();
    std::ifstream file(path, std::ios::binary);
    contents[i].assign(std::istreambuf_iterator<char>(file), {});
  }
  EXPECT_FALSE(contents[0].empty());
  EXPECT_TRUE(contents[0] == contents[1]);
  fs::remove_all(directory);
}

TEST(ShardFormatFiles, MissingOrDamagedFileNamesThePath) {
  const fs::path directory = scratch_directory("shard-damaged");
  const std::string missing = (directory / "nope.h5").string();
  try {
    ShardReader reader(missing);
    FAIL() << "opened a missing file";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find(missing), std::string::npos) << error.what();
  }
  const std::string garbage = (directory / "garbage.h5").string();
  std::ofstream(garbage) << "not an HDF5 file";
  try {
    ShardReader reader(garbage);
    FAIL() << "opened a non-HDF5 file";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find(garbage), std::string::npos) << error.what();
  }
  fs::remove_all(directory);
}

TEST(ShardFormatFiles, ItemCategoriesRoundTripBitwise) {
  const fs::path directory = scratch_directory("shard-items");
  const std::string path = (directory / "items.h5").string();
  const std::vector<double> category = {0, 1, 2, 3.5, -0.0, 1e300, 289};
  write_items_file(path, category);
  const std::vector<double> back = read_item_categories(path);
  ASSERT_EQ(back.size(), category.size());
  for (size_t i = 0; i < category.size(); ++i)
    EXPECT_EQ(std::memcmp(&back[i], &category[i], sizeof(double)), 0) << "index " << i;
  fs::remove_all(directory);
}

Manifest sample_manifest() {
  Manifest manifest;
  manifest.num_users = 30;
  manifest.num_items = 100;
  manifest.num_item_groups = 7;
  manifest.num_stored_steps = 200;
  manifest.num_interactions = 190;
  manifest.num_slate_items = 2000;
  manifest.split.seed = 9;
  manifest.split.t_testsplit = 4;
  manifest.split.train_users = 26;
  manifest.split.valid_users = 2;
  manifest.split.test_users = 2;
  manifest.slate_length_histogram = {0, 5, 195};
  manifest.ind2val = {{"interaction_type", {{"0", "<UNK>"}, {"1", "search"}, {"2", "rec"}}}};
  manifest.source = {"int64", false, {{"data.npz", 1234, "ab"}, {"ind2val.json", 9, "cd"}}};
  manifest.anomalies.counts = {{"click_not_in_slate", 3}, {"unknown_in_slate", 0}};
  manifest.anomalies.examples = nlohmann::json::array({{{"kind", "click_not_in_slate"}}});
  manifest.items_file = {"items.h5", 800, "0badf00d"};
  manifest.shards = {{shard_file_name(0, 2), 0, 10, 70, 700, 5000, "01234567"},
                     {shard_file_name(1, 2), 10, 20, 130, 1300, 9000, "89abcdef"}};
  manifest.created_by = "test";
  return manifest;
}

TEST(Manifest, SaveLoadRoundTrip) {
  const fs::path directory = scratch_directory("manifest");
  const Manifest manifest = sample_manifest();
  manifest.save((directory / kManifestFile).string());
  const Manifest back = Manifest::load(directory.string());
  EXPECT_EQ(back.to_json(), manifest.to_json());
  EXPECT_EQ(back.split.seed, 9u);
  EXPECT_EQ(back.split.t_testsplit, 4);
  EXPECT_EQ(back.anomalies.total(), 3);
  EXPECT_EQ(back.shard_path(directory.string(), 1),
            directory.string() + "/shard-00001-of-00002.h5");
  fs::remove_all(directory);
}

TEST(Manifest, RefusesOtherSchemaVersionsAndMissingKeysNamingThem) {
  nlohmann::json json = sample_manifest().to_json();
  for (const int version : {0, kManifestSchemaVersion + 1}) {
    json["schema_version"] = version;
    try {
      Manifest::from_json(json, "m.json");
      FAIL() << "accepted schema_version " << version;
    } catch (const Error& error) {
      EXPECT_NE(std::string(error.what()).find("schema_version " + std::to_string(version)),
                std::string::npos)
          << error.what();
    }
  }
  json = sample_manifest().to_json();
  json.erase("num_items");
  try {
    Manifest::from_json(json, "m.json");
    FAIL() << "accepted a manifest without num_items";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("num_items"), std::string::npos);
    EXPECT_NE(std::string(error.what()).find("m.json"), std::string::npos);
  }
  json = sample_manifest().to_json();
  json["shards"][1]["first_row"] = 11;
  EXPECT_THROW(Manifest::from_json(json, "m.json"), Error);
}

}  // namespace
}  // namespace slatetrain
