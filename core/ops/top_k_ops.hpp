// TopKOps: per-row top k of a score matrix with exclusions (full-catalogue evaluation).
// One family of the Backend's ops (core/backend.hpp states the conventions every op follows);
// CpuBackend implements it as the reference, CudaBackend as its twin.
#pragma once

#include <cstddef>
#include <cstdint>

namespace slatetrain {

class TopKOps {
 public:
  virtual ~TopKOps() = default;

  // Per-row top k of a score matrix (users x candidate columns), skipping excluded columns
  // (items a user already clicked, in this shard's column numbering). Sorted best first; ties
  // go to the lower column. With fewer than k eligible columns the tail is (-inf, -1).
  // Exclusions are CSR: row u excludes exclude_columns[exclude_offsets[u] ..
  // exclude_offsets[u+1]); exclude_offsets may be nullptr (no exclusions); columns outside
  // [0, columns) are ignored.
  // shapes: top_scores [rows, k]; top_columns [rows, k] (int32); scores [rows, columns];
  //         exclude_offsets [rows + 1] (int64); exclude_columns [exclude_offsets[rows]] (int32).
  virtual void top_k(float* top_scores, int32_t* top_columns, const float* scores, int64_t rows,
                     int64_t columns, int64_t k, const int64_t* exclude_offsets,
                     const int32_t* exclude_columns) = 0;
};

}  // namespace slatetrain
