// Reads everything of an opened checkpoint as a resuming run does: the dense buffers, then every
// embedding dataset in row chunks into buffers sized from num_items and dim.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "dist/checkpoint_file.hpp"

namespace slatetrain::fuzz {

// A resuming run sizes its buffers from num_items x dim; beyond this the caller stops.
inline constexpr int64_t kMaxTableElements = int64_t(1) << 20;

inline void read_whole_checkpoint(const CheckpointFileReader& reader) {
  (void)reader.header();
  for (const std::string& name : reader.dense_names()) {
    try {
      (void)reader.read_dense(name);
    } catch (const Error&) {
    }
  }
  const int64_t items = reader.num_items(), dim = reader.dim();
  if (items < 0 || dim <= 0 || dim > kMaxTableElements || items > kMaxTableElements / dim) return;
  std::vector<std::string> datasets = reader.embedding_states();
  datasets.insert(datasets.begin(), "rows");
  const int64_t chunk = std::max<int64_t>(1, items / 3);
  std::vector<float> rows(static_cast<size_t>(chunk * dim));
  for (const std::string& name : datasets) {
    try {
      for (int64_t first = 0; first < items; first += chunk)
        reader.read_embedding_rows(name, first, std::min(chunk, items - first), rows.data());
    } catch (const Error&) {
    }
  }
}

}  // namespace slatetrain::fuzz
