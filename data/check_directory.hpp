// `slateconvert check DIR`: whether a converted directory is intact without its source: the
// manifest loads, items.h5 and every shard are present with their recorded size and CRC-32,
// each shard is the one the manifest lists (conversion id, index, rows, sizes), its offsets
// hold, and every click and slate id lies in [0, num_items). Problems name the file, and for
// ids the user row and step.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

namespace slatetrain {

struct CheckReport {
  std::vector<std::string> problems;
  std::vector<std::string> warnings;  // e.g. a manifest without a conversion id
  int64_t shards_checked = 0;
  int64_t users_checked = 0, steps_checked = 0, ids_checked = 0;
  bool ok() const { return problems.empty(); }
};

// Never throws for a bad directory: everything it finds is in the report. `progress`, when
// given, gets one line per shard.
CheckReport check_converted_directory(const std::string& directory, std::ostream* progress);

}  // namespace slatetrain
