#include "tests/loader_session_dataset.hpp"

#include <algorithm>
#include <filesystem>

#include "core/random.hpp"
#include "data/file_crc32.hpp"
#include "data/manifest.hpp"
#include "data/shard_writer.hpp"

namespace slatetrain::testing {

int SessionTestDataset::max_steps() const {
  size_t longest = 1;
  for (const SessionTestUser& user : users) longest = std::max(longest, user.items.size());
  return static_cast<int>(longest);
}

SessionTestDataset make_session_test_dataset(int64_t num_users, uint64_t seed, Protocol protocol,
                                             const SplitParameters& split) {
  SessionTestDataset dataset;
  dataset.protocol = protocol;
  dataset.split = split;
  dataset.num_items = 3 + 80;
  const std::vector<Split> splits =
      protocol == Protocol::kUsers ? assign_split(num_users, split) : std::vector<Split>();
  Random random(seed);
  for (int64_t row = 0; row < num_users; ++row) {
    SessionTestUser user;
    user.row = row;
    user.split = splits.empty() ? 0 : static_cast<uint8_t>(splits[static_cast<size_t>(row)]);
    const int64_t events = random.below(8) == 0 ? static_cast<int64_t>(random.below(3))
                                                : static_cast<int64_t>(random.below(61));
    for (int64_t e = 0; e < events; ++e) {
      user.items.push_back(static_cast<int32_t>(3 + random.below(80)));
      user.types.push_back(static_cast<uint8_t>(random.below(3)));
    }
    dataset.users.push_back(std::move(user));
  }
  return dataset;
}

void write_session_test_directory(const SessionTestDataset& dataset, const std::string& directory,
                                  int shards) {
  std::filesystem::remove_all(directory);
  std::filesystem::create_directories(directory);
  const auto num_users = static_cast<int64_t>(dataset.users.size());
  Manifest manifest;
  manifest.format = "slatetrain-ragged-sessions";
  manifest.dataset = "csv";
  manifest.protocol = dataset.protocol;
  manifest.num_users = num_users;
  manifest.num_items = dataset.num_items;
  manifest.num_item_groups = 1;
  manifest.max_steps = dataset.max_steps();
  manifest.slate_slots = 0;
  manifest.item_groups = {"(none)"};
  manifest.interaction_types = {"(none)", "a", "b"};
  if (dataset.protocol == Protocol::kUsers) {
    static_cast<SplitParameters&>(manifest.split) = dataset.split;
    for (const SessionTestUser& user : dataset.users) {
      manifest.split.train_users += user.split == 0;
      manifest.split.valid_users += user.split == 1;
      manifest.split.test_users += user.split == 2;
    }
  } else {
    for (const SessionTestUser& user : dataset.users) {
      if (user.items.size() >= static_cast<size_t>(kLeaveOneOutMinEvents))
        ++manifest.leave_one_out.evaluated;
      else
        ++manifest.leave_one_out.train_only;
    }
  }
  manifest.created_by = "loader tests";
  manifest.conversion_id = new_conversion_id();
  for (int shard = 0; shard < shards; ++shard) {
    const int64_t begin = num_users * shard / shards, end = num_users * (shard + 1) / shards;
    ShardInfo info;
    info.file = shard_file_name(shard, shards);
    info.first_row = begin;
    info.users = end - begin;
    ShardWriterOptions options;
    options.layout = ShardLayout::kSessions;
    options.expected_users = end - begin;
    options.conversion_id = manifest.conversion_id;
    ShardWriter writer(directory + "/" + info.file, shard, shards, begin, options);
    for (int64_t first = begin; first < end; first += 5) {
      UserBlock block;
      for (int64_t u = first; u < std::min(end, first + 5); ++u) {
        const SessionTestUser& user = dataset.users[static_cast<size_t>(u)];
        block.row.push_back(user.row);
        block.user_id.push_back(user.row + 100);
        block.split.push_back(user.split);
        block.click.insert(block.click.end(), user.items.begin(), user.items.end());
        block.interaction_type.insert(block.interaction_type.end(), user.types.begin(),
                                      user.types.end());
        block.step_offsets.push_back(block.num_steps());
        block.original_ids += "user" + std::to_string(user.row);
        block.original_id_offsets.push_back(static_cast<int64_t>(block.original_ids.size()));
      }
      writer.append(block);
    }
    writer.close();
    info.steps = writer.steps_written();
    info.bytes = static_cast<int64_t>(std::filesystem::file_size(directory + "/" + info.file));
    info.crc32 = crc32_file(directory + "/" + info.file);
    manifest.num_stored_steps += info.steps;
    manifest.shards.push_back(info);
  }
  manifest.num_interactions = manifest.num_stored_steps;
  manifest.save(directory + "/" + kManifestFile);
}

std::vector<int64_t> session_phase_rows(const SessionTestDataset& dataset, LoaderPhase phase) {
  std::vector<int64_t> rows;
  for (const SessionTestUser& user : dataset.users) {
    bool in_phase = phase == LoaderPhase::kTrain;
    if (!in_phase && dataset.protocol == Protocol::kLeaveOneOut) in_phase = user.items.size() >= 3;
    if (!in_phase && dataset.protocol == Protocol::kUsers)
      in_phase = user.split == (phase == LoaderPhase::kValid ? 1 : 2);
    if (in_phase) rows.push_back(user.row);
  }
  return rows;
}

namespace {

template <typename T>
bool same(const std::vector<T>& actual, const std::vector<T>& expected, const char* name,
          std::string& failure) {
  if (actual.size() != expected.size()) {
    failure = std::string(name) + ": size " + std::to_string(actual.size()) + ", expected " +
              std::to_string(expected.size());
    return false;
  }
  for (size_t i = 0; i < actual.size(); ++i) {
    if (actual[i] != expected[i]) {
      failure = std::string(name) + "[" + std::to_string(i) +
                "] = " + std::to_string(static_cast<int64_t>(actual[i])) + ", expected " +
                std::to_string(static_cast<int64_t>(expected[i]));
      return false;
    }
  }
  return true;
}

}  // namespace

::testing::AssertionResult session_batch_matches(const SequenceBatch& batch,
                                                 const SessionTestDataset& dataset,
                                                 const std::vector<int64_t>& rows,
                                                 LoaderPhase phase, int window) {
  const auto B = static_cast<size_t>(batch.batch_users);
  const auto T = static_cast<size_t>(window);
  if (batch.max_steps != window || batch.slate_slots != 0 || !batch.slate.empty() ||
      !batch.click_idx.empty() || !batch.slate_length.empty())
    return ::testing::AssertionFailure()
           << "batch shaped [" << batch.max_steps << ", " << batch.slate_slots
           << "] with slate arrays of " << batch.slate.size() << ", expected [" << window
           << ", 0] and none";
  if (batch.valid_users != static_cast<int64_t>(rows.size()) || rows.size() > B)
    return ::testing::AssertionFailure()
           << "valid_users " << batch.valid_users << ", expected " << rows.size();
  std::vector<int64_t> user_row(B, -1);
  std::vector<uint8_t> split(B, 0), type(B * T, 0), mask(B * T, 0);
  std::vector<int32_t> item(B * T, 0), earlier_items;
  const bool earlier = dataset.protocol == Protocol::kLeaveOneOut && phase != LoaderPhase::kTrain;
  std::vector<int64_t> earlier_offsets(earlier ? B + 1 : 0, 0);
  int64_t masked = 0, real = 0;
  for (size_t b = 0; b < rows.size(); ++b) {
    const SessionTestUser& user = dataset.users[static_cast<size_t>(rows[b])];
    user_row[b] = user.row;
    split[b] = user.split;
    const auto n = static_cast<int64_t>(user.items.size());
    // The window [begin, end) of the user's events and which of them count.
    int64_t begin = 0, end = n;
    bool last_only = false;
    if (dataset.protocol == Protocol::kLeaveOneOut) {
      if (phase == LoaderPhase::kTrain) end = n >= 3 ? n - 2 : n;
      if (phase == LoaderPhase::kValid) end = n - 1;
      last_only = phase != LoaderPhase::kTrain;
      begin = std::max<int64_t>(0, end - window);
    }
    for (int64_t e = begin; e < end; ++e) {
      const size_t i = b * T + static_cast<size_t>(e - begin);
      item[i] = user.items[static_cast<size_t>(e)];
      type[i] = user.types[static_cast<size_t>(e)];
      ++real;
      bool counts;
      if (dataset.protocol == Protocol::kLeaveOneOut) {
        counts = !last_only || e == end - 1;
      } else {
        const bool held_out = user.split != 0 && e >= dataset.split.t_testsplit;
        counts = phase == LoaderPhase::kTrain ? !held_out : held_out;
      }
      mask[i] = counts;
      masked += counts;
    }
    if (earlier) {
      for (int64_t e = 0; e < begin; ++e)
        earlier_items.push_back(user.items[static_cast<size_t>(e)]);
      for (size_t later = b + 1; later <= B; ++later)
        earlier_offsets[later] = static_cast<int64_t>(earlier_items.size());
    }
  }
  std::string failure;
  if (!same(batch.user_row, user_row, "user_row", failure) ||
      !same(batch.split, split, "split", failure) || !same(batch.item, item, "item", failure) ||
      !same(batch.interaction_type, type, "interaction_type", failure) ||
      !same(batch.step_mask, mask, "step_mask", failure) ||
      !same(batch.earlier_offsets, earlier_offsets, "earlier_offsets", failure) ||
      !same(batch.earlier_items, earlier_items, "earlier_items", failure))
    return ::testing::AssertionFailure() << failure;
  if (batch.masked_steps != masked || batch.real_steps != real)
    return ::testing::AssertionFailure()
           << "masked_steps " << batch.masked_steps << " real_steps " << batch.real_steps
           << ", expected " << masked << " and " << real;
  return ::testing::AssertionSuccess();
}

}  // namespace slatetrain::testing
