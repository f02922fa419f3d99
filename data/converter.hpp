// `slateconvert finn`: the FINN.no files to N HDF5 shards, items.h5 and manifest.json
// (docs/FORMAT.md). One thread reads and inflates data.npz in blocks of users, checks them and
// builds the ragged blocks; a second thread writes them to HDF5 (the only thread using HDF5
// while the pipeline runs). The output directory appears atomically (OutputDirectory).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/converter_source.hpp"
#include "data/manifest.hpp"
#include "data/shard_user_block.hpp"
#include "data/split.hpp"

namespace slatetrain {

struct ConvertOptions {
  std::string input;   // holds data.npz, itemattr.npz, ind2val.json
  std::string output;  // the directory to create
  int shards = 1;
  bool force = false;   // replace an existing output (only after success)
  bool strict = false;  // every anomaly is an error
  int gzip_level = 0;   // 0: uncompressed shards; 1..9: shuffle + deflate
  SplitParameters split;
  int64_t block_users = 16384;  // users per source block (memory ~ block_users * 4 kB)
  bool show_progress = true;
};

// Converts; returns the manifest written. Throws Error (and leaves no output) on failure.
Manifest convert_finn(const ConvertOptions& options);

// The first source row of shard `index` of `shard_count`: contiguous ranges balanced by users.
int64_t shard_first_row(int64_t num_users, int shard_count, int index);

// Appends users [begin, end) of a source block (block-local indices) in the ragged layout:
// only stored steps (data/finn_checks.hpp step_is_stored), slate positions up to the width.
// `split` is indexed by source row.
void append_source_users(const FinnSourceBlock& block, int64_t begin, int64_t end,
                         const std::vector<Split>& split, UserBlock& out);

}  // namespace slatetrain
