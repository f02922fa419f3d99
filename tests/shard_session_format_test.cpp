// The session layout of the shards (schema_version 2), items.h5's session datasets and the
// schema-2 manifest: what the writer appends the reader returns, with and without timestamps
// and weights; a version-1 manifest (FINN conversions made before) still loads; unknown shard
// versions and inconsistent leave-one-out counts are refused naming the file.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <string>

#include "core/error.hpp"
#include "core/random.hpp"
#include "data/item_table.hpp"
#include "data/manifest.hpp"
#include "data/shard_hdf5.hpp"
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

// Users with 0..300 events each (long histories: positions beyond uint8), string ids.
UserBlock make_session_block(int64_t first_row, int64_t users, bool timestamps, bool weights,
                             uint64_t seed) {
  Random random(seed);
  UserBlock block;
  for (int64_t u = 0; u < users; ++u) {
    block.row.push_back(first_row + u);
    block.user_id.push_back(-1);
    block.split.push_back(0);
    const std::string id = "user-" + std::to_string(random.below(100000));
    block.original_ids += id;
    block.original_id_offsets.push_back(static_cast<int64_t>(block.original_ids.size()));
    const int events = static_cast<int>(random.below(301));
    int64_t time = 1000;
    for (int e = 0; e < events; ++e) {
      block.click.push_back(static_cast<int32_t>(3 + random.below(5000)));
      block.interaction_type.push_back(static_cast<uint8_t>(random.below(4)));
      time += static_cast<int64_t>(random.below(3));
      if (timestamps) block.timestamp.push_back(time);
      if (weights) block.weight.push_back(0.5f * static_cast<float>(random.below(11)));
    }
    block.step_offsets.push_back(block.num_steps());
  }
  return block;
}

template <typename T>
::testing::AssertionResult same_values(const char* name, const std::vector<T>& expected,
                                       const std::vector<T>& actual) {
  if (expected.size() != actual.size())
    return ::testing::AssertionFailure()
           << name << ": " << actual.size() << " values, expected " << expected.size();
  for (size_t i = 0; i < expected.size(); ++i)
    if (!(expected[i] == actual[i]))
      return ::testing::AssertionFailure()
             << name << "[" << i << "] = " << +actual[i] << ", expected " << +expected[i];
  return ::testing::AssertionSuccess();
}

class SessionShardFormat : public ::testing::TestWithParam<std::tuple<bool, bool, int>> {};

TEST_P(SessionShardFormat, WriterBlocksReadBackForAnyUserRange) {
  const auto [timestamps, weights, gzip] = GetParam();
  const fs::path directory = scratch_directory("session-shard");
  const std::string path = (directory / "shard.h5").string();
  const UserBlock block = make_session_block(40, 30, timestamps, weights, 5);
  {
    ShardWriterOptions options;
    options.layout = ShardLayout::kSessions;
    options.timestamps = timestamps;
    options.weights = weights;
    options.gzip_level = gzip;
    options.expected_users = 30;
    options.expected_steps = block.num_steps();
    ShardWriter writer(path, 1, 2, 40, options);
    writer.append(block);
    writer.close();
    EXPECT_EQ(writer.steps_written(), block.num_steps());
  }
  ShardReader reader(path);
  EXPECT_EQ(reader.schema_version(), kSessionShardSchemaVersion);
  EXPECT_FALSE(reader.has_slates());
  EXPECT_EQ(reader.has_timestamps(), timestamps);
  EXPECT_EQ(reader.has_weights(), weights);
  EXPECT_EQ(reader.num_slate_items(), 0);
  EXPECT_EQ(reader.first_row(), 40);
  const UserBlock all = reader.read_users(0, 30);
  EXPECT_TRUE(same_values("row", block.row, all.row));
  EXPECT_TRUE(same_values("step_offsets", block.step_offsets, all.step_offsets));
  EXPECT_TRUE(same_values("click", block.click, all.click));
  EXPECT_TRUE(same_values("interaction_type", block.interaction_type, all.interaction_type));
  EXPECT_TRUE(same_values("timestamp", block.timestamp, all.timestamp));
  EXPECT_TRUE(same_values("weight", block.weight, all.weight));
  EXPECT_TRUE(all.t.empty() && all.slate_item.empty() && all.slate_offsets.size() == 1);
  EXPECT_EQ(all.original_ids, block.original_ids);
  // A range in the middle: offsets rebased, ids and steps of exactly those users.
  const UserBlock part = reader.read_users(11, 17);
  ASSERT_EQ(part.num_users(), 6);
  for (int64_t u = 0; u < 6; ++u) {
    EXPECT_EQ(part.original_id(u), block.original_id(11 + u)) << "user " << u;
    const int64_t steps = block.step_offsets[11 + u + 1] - block.step_offsets[11 + u];
    EXPECT_EQ(part.step_offsets[u + 1] - part.step_offsets[u], steps) << "user " << u;
  }
  EXPECT_EQ(part.click.front(), block.click[block.step_offsets[11]]);
  const std::vector<int64_t> counts = reader.read_step_counts();
  for (int64_t u = 0; u < 30; ++u)
    ASSERT_EQ(counts[u], block.step_offsets[u + 1] - block.step_offsets[u]) << "user " << u;
  fs::remove_all(directory);
}

INSTANTIATE_TEST_SUITE_P(Datasets, SessionShardFormat,
                         ::testing::Values(std::make_tuple(true, true, 0),
                                           std::make_tuple(false, false, 0),
                                           std::make_tuple(true, false, 1)));

TEST(SessionShardFormatFiles, WriterRefusesBlocksThatDoNotMatchTheLayout) {
  const fs::path directory = scratch_directory("session-shard-refuse");
  ShardWriterOptions options;
  options.layout = ShardLayout::kSessions;
  options.timestamps = true;
  ShardWriter writer((directory / "s.h5").string(), 0, 1, 0, options);
  UserBlock no_timestamps = make_session_block(0, 3, false, false, 1);
  EXPECT_THROW(writer.append(no_timestamps), Error);
  UserBlock with_positions = make_session_block(0, 3, true, false, 1);
  with_positions.t.assign(with_positions.click.size(), 0);
  EXPECT_THROW(writer.append(with_positions), Error);
  ShardWriterOptions slates;
  slates.timestamps = true;
  EXPECT_THROW(ShardWriter((directory / "t.h5").string(), 0, 1, 0, slates), Error);
  fs::remove_all(directory);
}

TEST(SessionShardFormatFiles, UnknownShardVersionIsRefusedNamingTheFile) {
  const fs::path directory = scratch_directory("session-shard-version");
  const std::string path = (directory / "s.h5").string();
  {
    ShardWriterOptions options;
    options.layout = ShardLayout::kSessions;
    ShardWriter writer(path, 0, 1, 0, options);
    writer.close();
  }
  {
    // Rewrite the attribute as a later slatetrain might.
    silence_hdf5_errors();
    const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    ASSERT_GE(file, 0);
    ASSERT_GE(H5Adelete(file, "schema_version"), 0);
    hdf5::write_int64_attribute(file, "schema_version", 7, path);
    H5Fclose(file);
  }
  try {
    ShardReader reader(path);
    FAIL() << "opened a shard of schema_version 7";
  } catch (const Error& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find(path), std::string::npos) << message;
    EXPECT_NE(message.find("schema_version 7"), std::string::npos) << message;
  }
  fs::remove_all(directory);
}

TEST(SessionShardFormatFiles, ItemTableRoundTrip) {
  const fs::path directory = scratch_directory("session-items");
  const std::string path = (directory / "items.h5").string();
  ItemTable table;
  for (const char* id : {"", "", "", "B09W9FND7K", "42", "käse"}) table.original_id.push_back(id);
  for (const char* locale : {"", "", "", "DE", "JP", "DE"}) table.locale.push_back(locale);
  table.category = {0, 0, 0, 2, 0, 1};
  table.group_offsets = {0, 0, 0, 0, 2, 2, 3};
  table.groups = {2, 5, 1};
  write_item_table(path, table);
  const ItemTable back = read_item_table(path);
  EXPECT_EQ(back.num_items(), 6);
  EXPECT_EQ(back.original_id.bytes, table.original_id.bytes);
  EXPECT_TRUE(
      same_values("original_id offsets", table.original_id.offsets, back.original_id.offsets));
  EXPECT_EQ(back.original_id[5], "käse");
  EXPECT_EQ(back.locale[4], "JP");
  EXPECT_TRUE(same_values("category", table.category, back.category));
  EXPECT_TRUE(same_values("group_offsets", table.group_offsets, back.group_offsets));
  EXPECT_TRUE(same_values("groups", table.groups, back.groups));
  ItemTable no_locale = table;
  no_locale.locale = StringColumn();
  write_item_table(path, no_locale);
  EXPECT_EQ(read_item_table(path).locale.size(), 0);
  fs::remove_all(directory);
}

Manifest session_manifest() {
  Manifest manifest;
  manifest.format = "slatetrain-ragged-sessions";
  manifest.dataset = "movielens";
  manifest.protocol = Protocol::kLeaveOneOut;
  manifest.num_users = 10;
  manifest.num_items = 50;
  manifest.num_item_groups = 3;
  manifest.num_stored_steps = manifest.num_interactions = 400;
  manifest.max_steps = 90;
  manifest.slate_slots = 0;
  manifest.leave_one_out = {8, 2};
  manifest.step_datasets = {"timestamp", "weight"};
  manifest.item_groups = {"(none)", "Action", "Drama"};
  manifest.interaction_types = {"(none)"};
  manifest.conversion = {{"format", "movielens"}};
  manifest.source.files = {{"ratings.dat", 100, "ab"}};
  manifest.items_file = {"items.h5", 800, "0badf00d"};
  manifest.shards = {{shard_file_name(0, 1), 0, 10, 400, 0, 5000, "01234567"}};
  return manifest;
}

TEST(SessionManifest, LeaveOneOutRoundTripAndPhaseCounts) {
  const Manifest manifest = session_manifest();
  const Manifest back = Manifest::from_json(manifest.to_json(), "m.json");
  EXPECT_EQ(back.to_json(), manifest.to_json());
  EXPECT_EQ(back.protocol, Protocol::kLeaveOneOut);
  EXPECT_FALSE(manifest.to_json().contains("split"));
  EXPECT_EQ(back.split.train_users, 10);
  EXPECT_EQ(back.split.valid_users, 8);
  EXPECT_EQ(back.split.test_users, 8);
  EXPECT_TRUE(back.has_step_dataset("weight"));
  EXPECT_EQ(back.item_groups.size(), 3u);

  nlohmann::json json = manifest.to_json();
  json["leave_one_out"]["users"]["train_only"] = 3;  // 8 + 3 != 10
  EXPECT_THROW(Manifest::from_json(json, "m.json"), Error);
  json = manifest.to_json();
  json["protocol"] = "random";
  try {
    Manifest::from_json(json, "m.json");
    FAIL() << "accepted protocol 'random'";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("protocol 'random'"), std::string::npos);
  }
  json = manifest.to_json();
  json.erase("protocol");
  EXPECT_THROW(Manifest::from_json(json, "m.json"), Error);
}

TEST(SessionManifest, VersionOneManifestsReadAsFinnUnderTheUsersProtocol) {
  Manifest finn;
  finn.num_users = 30;
  finn.num_items = 100;
  finn.split.train_users = 30;
  finn.source = {"int32", true, {{"data.npz", 1, "ab"}}};
  finn.shards = {{shard_file_name(0, 1), 0, 30, 70, 700, 5000, "01234567"}};
  nlohmann::json json = finn.to_json();
  // What slateconvert finn wrote before schema 2.
  json["schema_version"] = 1;
  json.erase("protocol");
  json.erase("step_datasets");
  const Manifest back = Manifest::from_json(json, "old.json");
  EXPECT_EQ(back.protocol, Protocol::kUsers);
  EXPECT_EQ(back.schema_version, 1);
  EXPECT_TRUE(back.step_datasets.empty());
  json["dataset"] = "movielens";
  EXPECT_THROW(Manifest::from_json(json, "old.json"), Error);
}

}  // namespace
}  // namespace slatetrain
