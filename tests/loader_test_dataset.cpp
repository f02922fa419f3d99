#include "tests/loader_test_dataset.hpp"

#include <algorithm>
#include <filesystem>
#include <numeric>

#include "core/random.hpp"
#include "data/file_crc32.hpp"
#include "data/finn_format.hpp"
#include "data/manifest.hpp"
#include "data/shard_writer.hpp"

namespace slatetrain::testing {

int64_t TestDataset::interactions() const {
  int64_t count = 0;
  for (const TestUser& user : users)
    for (const TestStep& step : user.steps) count += step.click != 0;
  return count;
}

TestDataset make_test_dataset(int64_t num_users, uint64_t seed,
                              const SplitParameters& split_parameters) {
  TestDataset dataset;
  dataset.split = split_parameters;
  dataset.num_items = 50;
  const std::vector<Split> splits = assign_split(num_users, split_parameters);
  Random random(seed);
  for (int64_t row = 0; row < num_users; ++row) {
    TestUser user;
    user.row = row;
    user.split = static_cast<uint8_t>(splits[static_cast<size_t>(row)]);
    // A random subset of the step indices, so steps sit at gaps of t.
    std::vector<int> all_t(finn::kMaxSteps);
    std::iota(all_t.begin(), all_t.end(), 0);
    for (int i = finn::kMaxSteps - 1; i > 0; --i)
      std::swap(all_t[i], all_t[random.below(static_cast<uint64_t>(i + 1))]);
    const int num_steps = static_cast<int>(random.below(finn::kMaxSteps + 1));
    std::vector<int> step_t(all_t.begin(), all_t.begin() + num_steps);
    std::sort(step_t.begin(), step_t.end());
    for (const int t : step_t) {
      TestStep step;
      step.t = t;
      const int width = 1 + static_cast<int>(random.below(finn::kSlateSlots));
      step.slate.push_back(static_cast<int32_t>(finn::kNoClickId));
      for (int s = 1; s < width; ++s) {
        const bool zero_inside = s + 1 < width && random.below(20) == 0;
        step.slate.push_back(
            zero_inside ? 0 : static_cast<int32_t>(3 + random.below(dataset.num_items - 3)));
      }
      const uint64_t kind = random.below(100);
      if (kind < 3) {
        step.click = 0;  // stored (its slate is not empty) but not a real step
      } else if (kind < 28 || width == 1 || step.slate[1] == 0) {
        step.click = static_cast<int32_t>(finn::kNoClickId);
      } else {
        step.click_idx = 1;
        step.click = step.slate[1];
      }
      step.slate_length = static_cast<uint8_t>(random.below(50) == 0 ? 26 : width);
      step.interaction_type = static_cast<uint8_t>(1 + random.below(2));
      user.steps.push_back(std::move(step));
    }
    dataset.users.push_back(std::move(user));
  }
  return dataset;
}

UserBlock user_block_of(const TestDataset& dataset, int64_t begin, int64_t end) {
  UserBlock block;
  for (int64_t u = begin; u < end; ++u) {
    const TestUser& user = dataset.users[static_cast<size_t>(u)];
    block.row.push_back(user.row);
    block.user_id.push_back(1000 + user.row);
    block.split.push_back(user.split);
    for (const TestStep& step : user.steps) {
      block.t.push_back(static_cast<uint8_t>(step.t));
      block.click.push_back(step.click);
      block.click_idx.push_back(step.click_idx);
      block.slate_length.push_back(step.slate_length);
      block.interaction_type.push_back(step.interaction_type);
      block.slate_item.insert(block.slate_item.end(), step.slate.begin(), step.slate.end());
      block.slate_offsets.push_back(static_cast<int64_t>(block.slate_item.size()));
    }
    block.step_offsets.push_back(static_cast<int64_t>(block.t.size()));
  }
  return block;
}

void write_test_directory(const TestDataset& dataset, const std::string& directory, int shards,
                          int gzip_level) {
  std::filesystem::remove_all(directory);
  std::filesystem::create_directories(directory);
  const auto num_users = static_cast<int64_t>(dataset.users.size());
  Manifest manifest;
  manifest.num_users = num_users;
  manifest.num_items = dataset.num_items;
  manifest.num_item_groups = 1;
  manifest.max_steps = finn::kMaxSteps;
  manifest.slate_slots = finn::kSlateSlots;
  static_cast<SplitParameters&>(manifest.split) = dataset.split;
  for (const TestUser& user : dataset.users) {
    manifest.split.train_users += user.split == 0;
    manifest.split.valid_users += user.split == 1;
    manifest.split.test_users += user.split == 2;
  }
  manifest.created_by = "loader tests";
  manifest.conversion_id = new_conversion_id();
  for (int shard = 0; shard < shards; ++shard) {
    const int64_t begin = num_users * shard / shards;
    const int64_t end = num_users * (shard + 1) / shards;
    ShardInfo info;
    info.file = shard_file_name(shard, shards);
    info.first_row = begin;
    info.users = end - begin;
    ShardWriterOptions options;
    options.gzip_level = gzip_level;
    options.expected_users = end - begin;
    options.conversion_id = manifest.conversion_id;
    ShardWriter writer(directory + "/" + info.file, shard, shards, begin, options);
    // Several appends per shard, as the converter does.
    for (int64_t first = begin; first < end; first += 7)
      writer.append(user_block_of(dataset, first, std::min(end, first + 7)));
    writer.close();
    info.steps = writer.steps_written();
    info.slate_items = writer.slate_items_written();
    info.bytes = static_cast<int64_t>(std::filesystem::file_size(directory + "/" + info.file));
    info.crc32 = crc32_file(directory + "/" + info.file);
    manifest.num_stored_steps += info.steps;
    manifest.num_slate_items += info.slate_items;
    manifest.shards.push_back(info);
  }
  manifest.num_interactions = dataset.interactions();
  manifest.save(directory + "/" + kManifestFile);
}

}  // namespace slatetrain::testing
