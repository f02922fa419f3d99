// What `slateconvert synth` generates: sizes, seed, output format, the planted model's knobs.
#pragma once

#include <cstdint>
#include <string>

#include "data/split.hpp"

namespace slatetrain {

// Rollouts per held-out user for truth.json's oracle (docs/GENERATOR.md "The oracle").
inline constexpr int64_t kDefaultOracleRollouts = 500;

// The published FINN.no sizes (docs/FINN.md).
inline constexpr int64_t kFullFinnUsers = 2277645;
inline constexpr int64_t kFullFinnItems = 1311775;  // ids, including 0 PAD, 1 noClick, 2 UNK
inline constexpr int kFullFinnGroups = 290;

struct GeneratorOptions {
  int64_t num_users = 2000;
  int64_t num_items = 5000;  // catalogue size, ids 0..num_items-1 (real items from 3)
  int num_groups = 0;        // 0: chosen from num_items (290 at full size, >= 50 items each)
  uint64_t seed = 1;
  bool int64 = false;    // int64 arrays instead of int32
  bool compress = true;  // savez_compressed (deflate) instead of savez (stored)
  int deflate_level = 1;
  double anomaly_rate = 0.001;  // per real step, for each of the three published anomalies
  int threads = 2;
  int64_t users_per_block = 8192;
  // truth.json: the published split the converter uses by default, and how many held-out
  // users to evaluate (0 = all).
  SplitParameters split;
  int64_t truth_users = 0;
  bool write_truth = true;
  // truth.json's oracle: rollouts per held-out user; off leaves "oracle": null.
  int64_t oracle_rollouts = kDefaultOracleRollouts;
  bool write_oracle = true;
};

// The number of item groups actually used for these options.
int generator_group_count(const GeneratorOptions& options);

// Throws Error naming the option when a value is out of range.
void check_generator_options(const GeneratorOptions& options);

}  // namespace slatetrain
