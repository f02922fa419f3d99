// Small collectives over the host communicator that the evaluation and recommendation code
// share: every rank's count, and every rank's vector concatenated in rank order.
#pragma once

#include <cstdint>
#include <numeric>
#include <vector>

#include "core/communicator.hpp"

namespace slatetrain {

// Collective. Every rank's `value`, in rank order.
inline std::vector<int64_t> gather_counts(Communicator& communicator, int64_t value) {
  std::vector<int64_t> counts(static_cast<size_t>(communicator.world_size()));
  communicator.allgather(&value, 1, counts.data(), ElementType::kInt64);
  return counts;
}

// Collective. Every rank's `mine` (any length), concatenated in rank order, on every rank.
template <typename T>
std::vector<T> gather_all(Communicator& communicator, const std::vector<T>& mine) {
  const std::vector<int64_t> counts =
      gather_counts(communicator, static_cast<int64_t>(mine.size()));
  const std::vector<size_t> sizes(counts.begin(), counts.end());
  std::vector<T> all(std::accumulate(sizes.begin(), sizes.end(), size_t{0}));
  communicator.allgatherv(mine.data(), mine.size(), all.data(), sizes, element_type_of<T>());
  return all;
}

}  // namespace slatetrain
