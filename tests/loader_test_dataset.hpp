// A tiny random dataset in the ragged layout for the loader tests, kept in plain structs so
// the tests compute what a batch must hold without going through the code under test, and
// written to a converted directory (shards with ShardWriter, manifest.json) like
// `slateconvert finn` writes one.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/shard_user_block.hpp"
#include "data/split.hpp"

namespace slatetrain::testing {

struct TestStep {
  int t = 0;
  int32_t click = 0;
  uint8_t click_idx = 0, slate_length = 0, interaction_type = 0;
  std::vector<int32_t> slate;  // stored positions 0 .. width-1
};

struct TestUser {
  int64_t row = 0;
  uint8_t split = 0;
  std::vector<TestStep> steps;  // increasing t
};

struct TestDataset {
  std::vector<TestUser> users;
  SplitParameters split;
  int64_t num_items = 0;
  int64_t interactions() const;  // steps with click != 0
};

// `num_users` users with 0..20 steps at random t, slates of 1..25 items (zeros inside some,
// slate_length 26 on a few), no-clicks, and a few stored steps with click 0; the published
// split from split_parameters.
TestDataset make_test_dataset(int64_t num_users, uint64_t seed,
                              const SplitParameters& split_parameters);

// Users [begin, end) as the ragged UserBlock a ShardReader returns.
UserBlock user_block_of(const TestDataset& dataset, int64_t begin, int64_t end);

// Writes `directory` (created or emptied first): `shards` shards of near-equal user counts
// and a manifest.json. gzip_level is passed to ShardWriter.
void write_test_directory(const TestDataset& dataset, const std::string& directory, int shards,
                          int gzip_level = 0);

}  // namespace slatetrain::testing
