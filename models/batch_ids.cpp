#include "models/batch_ids.hpp"

#include <algorithm>
#include <numeric>

#include "core/error.hpp"

namespace slatetrain {

UniqueIds unique_ids(const std::vector<int64_t>& ids) {
  UniqueIds result;
  result.index.resize(ids.size());
  if (ids.empty()) return result;
  // Sort positions by id so duplicates sit together; one pass assigns the unique rows.
  std::vector<int64_t> order(ids.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return ids[a] < ids[b]; });
  for (const int64_t position : order) {
    const int64_t id = ids[position];
    REQUIRE(id >= 0, "unique_ids: negative item id " << id << " at position " << position);
    if (result.ids.empty() || result.ids.back() != id) result.ids.push_back(id);
    result.index[position] = static_cast<int32_t>(result.ids.size() - 1);
  }
  return result;
}

}  // namespace slatetrain
