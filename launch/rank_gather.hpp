// Small collectives over the host communicator that the evaluation, recommendation and index
// code share: every rank's count, every rank's vector concatenated in rank order, and rank 0's
// failure thrown on every rank.
#pragma once

#include <cstdint>
#include <numeric>
#include <string>
#include <vector>

#include "core/communicator.hpp"
#include "core/error.hpp"

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

// Collective. Throws rank 0's `message` (empty: no failure) on every rank, unchanged, so that
// the job prints it once (dist/failure_report) and every rank stops alike.
inline void throw_root_failure(Communicator& communicator, std::string message) {
  int64_t length = static_cast<int64_t>(message.size());
  communicator.broadcast(&length, 1, 0);
  message.resize(static_cast<size_t>(length));
  if (length > 0) communicator.broadcast(message.data(), message.size(), ElementType::kUInt8, 0);
  if (!message.empty()) throw Error(message);
}

}  // namespace slatetrain
