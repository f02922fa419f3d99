// The local dedup of the item ids a batch needs: the sharded embedding (dist/) fetches one row
// per unique id, and the model addresses those rows through the remapped indices.
#pragma once

#include <cstdint>
#include <vector>

namespace slatetrain {

// shapes: N = ids.size(), U = unique count
struct UniqueIds {
  std::vector<int64_t> ids;    // [U] sorted ascending, each once
  std::vector<int32_t> index;  // [N] position of the input's i-th id in `ids`
};

// Sorts and deduplicates `ids`; index[i] is where ids[i] went. Negative ids are refused.
UniqueIds unique_ids(const std::vector<int64_t>& ids);

}  // namespace slatetrain
