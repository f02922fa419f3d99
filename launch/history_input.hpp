// `slatetrain recommend --input FILE`: users' histories as JSON lines, one user a line,
//   {"user": ANY, "items": [ID, ...], "interaction_types": [TYPE, ...]}
// items in the source's ids (launch/dataset_names.hpp: FINN integer ids, a session source's
// original ids), oldest first; interaction_types optional (one per item, an index or a name;
// absent: 0, the dataset's unknown / "(none)" type); user optional, echoed back as given.
// Empty lines are skipped. Anything else is an error naming the file and line: an id that is not
// in the catalogue, a line that is not such an object (docs/USING_A_MODEL.md).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "data/manifest.hpp"
#include "launch/dataset_names.hpp"

namespace slatetrain {

struct History {
  int64_t line = 0;                        // 1-based line of the file
  nlohmann::json user;                     // as given (null when absent)
  std::vector<int64_t> items;              // item ids, oldest first
  std::vector<uint8_t> interaction_types;  // one per item
};

std::vector<History> read_histories(const std::string& path, const Manifest& manifest,
                                    const ItemNames& items);

}  // namespace slatetrain
