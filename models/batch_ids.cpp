#include "models/batch_ids.hpp"

#include <algorithm>
#include <numeric>

#include "core/error.hpp"

namespace slatetrain {

namespace {

// Ids below 2^40 and positions below 2^24 pack into one uint64 (id high, position low), so the
// dedup sorts plain integers instead of positions through an indirect comparison (the sort was
// a visible share of a training step). Ties cannot occur: each position appears once.
constexpr int kPositionBits = 24;
constexpr int64_t kPackedIdLimit = int64_t{1} << (64 - kPositionBits);

void refuse_negative(int64_t id, size_t position) {
  REQUIRE(id >= 0, "unique_ids: negative item id " << id << " at position " << position);
}

bool fits_packed(const std::vector<int64_t>& ids) {
  if (ids.size() >= (size_t{1} << kPositionBits)) return false;
  for (size_t position = 0; position < ids.size(); ++position) {
    refuse_negative(ids[position], position);
    if (ids[position] >= kPackedIdLimit) return false;
  }
  return true;
}

void unique_ids_packed(const std::vector<int64_t>& ids, UniqueIds& result) {
  std::vector<uint64_t> keys(ids.size());
  for (size_t position = 0; position < ids.size(); ++position) {
    keys[position] = (static_cast<uint64_t>(ids[position]) << kPositionBits) | position;
  }
  std::sort(keys.begin(), keys.end());
  const uint64_t position_mask = (uint64_t{1} << kPositionBits) - 1;
  for (const uint64_t key : keys) {
    const int64_t id = static_cast<int64_t>(key >> kPositionBits);
    if (result.ids.empty() || result.ids.back() != id) result.ids.push_back(id);
    result.index[key & position_mask] = static_cast<int32_t>(result.ids.size() - 1);
  }
}

}  // namespace

UniqueIds unique_ids(const std::vector<int64_t>& ids) {
  UniqueIds result;
  result.index.resize(ids.size());
  if (ids.empty()) return result;
  if (fits_packed(ids)) {
    unique_ids_packed(ids, result);
    return result;
  }
  // General case: sort positions by id so duplicates sit together; one pass assigns the rows.
  std::vector<int64_t> order(ids.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return ids[a] < ids[b]; });
  for (const int64_t position : order) {
    const int64_t id = ids[position];
    refuse_negative(id, static_cast<size_t>(position));
    if (result.ids.empty() || result.ids.back() != id) result.ids.push_back(id);
    result.index[position] = static_cast<int32_t>(result.ids.size() - 1);
  }
  return result;
}

}  // namespace slatetrain
