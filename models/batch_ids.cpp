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

// Ids below a bound near the input's size (a catalogue's item ids, with a batch's hundreds of
// thousands of sampled negatives) are deduplicated without sorting: one bit per possible id, set
// for each id present; the unique ids are the set bits in ascending order, and an id's position
// among them is the count of set bits below it (a prefix count per 64-bit word plus a popcount).
// O(N + bound / 64) instead of the sort's O(N log N), which was a quarter of the catalogue
// objectives' CPU time; the result is the same.
bool fits_bitmap(const std::vector<int64_t>& ids, int64_t& largest) {
  largest = 0;
  for (size_t position = 0; position < ids.size(); ++position) {
    refuse_negative(ids[position], position);
    largest = std::max(largest, ids[position]);
  }
  const int64_t words = largest / 64 + 1;
  return words <= 4 * static_cast<int64_t>(ids.size()) + 4096;
}

void unique_ids_bitmap(const std::vector<int64_t>& ids, int64_t largest, UniqueIds& result) {
  const size_t words = static_cast<size_t>(largest / 64 + 1);
  std::vector<uint64_t> present(words, 0);
  for (const int64_t id : ids) present[static_cast<size_t>(id) >> 6] |= uint64_t{1} << (id & 63);
  std::vector<int32_t> below(words);  // set bits in the words before this one
  int32_t count = 0;
  for (size_t word = 0; word < words; ++word) {
    below[word] = count;
    count += __builtin_popcountll(present[word]);
  }
  result.ids.resize(static_cast<size_t>(count));
  for (size_t word = 0; word < words; ++word) {
    uint64_t bits = present[word];
    int32_t next = below[word];
    while (bits) {
      result.ids[static_cast<size_t>(next++)] =
          static_cast<int64_t>(word * 64) + __builtin_ctzll(bits);
      bits &= bits - 1;
    }
  }
  for (size_t position = 0; position < ids.size(); ++position) {
    const size_t word = static_cast<size_t>(ids[position]) >> 6;
    const uint64_t lower = (uint64_t{1} << (ids[position] & 63)) - 1;
    result.index[position] = below[word] + __builtin_popcountll(present[word] & lower);
  }
}

}  // namespace

UniqueIds unique_ids(const std::vector<int64_t>& ids) {
  UniqueIds result;
  result.index.resize(ids.size());
  if (ids.empty()) return result;
  int64_t largest = 0;
  if (fits_bitmap(ids, largest)) {
    unique_ids_bitmap(ids, largest, result);
    return result;
  }
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
