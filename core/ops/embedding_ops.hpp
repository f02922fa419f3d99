// EmbeddingOps: rows of a table gathered by index, their scatter-add backward, and segment sums.
// One family of the Backend's ops (core/backend.hpp states the conventions every op follows);
// CpuBackend implements it as the reference, CudaBackend as its twin.
#pragma once

#include <cstddef>
#include <cstdint>

namespace slatetrain {

class EmbeddingOps {
 public:
  virtual ~EmbeddingOps() = default;

  // Gather: out[i, :] = table[index[i], :]; index[i] == -1 gives a zero row.
  // shapes: out [n, dim], table [table_rows, dim], index [n] in [-1, table_rows).
  virtual void embedding_forward(float* out, const float* table, const int32_t* index, int64_t n,
                                 int64_t dim, int64_t table_rows) = 0;
  // Scatter-add: dtable[index[i], :] += dout[i, :]; index -1 skipped; repeated indices add up.
  // shapes: dtable [table_rows, dim], dout [n, dim], index [n].
  virtual void embedding_backward(float* dtable, const float* dout, const int32_t* index, int64_t n,
                                  int64_t dim, int64_t table_rows) = 0;
  // Segment sum: out[s, :] = sum of x[offsets[s] .. offsets[s+1]) rows (overwrite; an empty
  // segment gives zeros). offsets is non-decreasing, offsets[0] = 0, offsets[segments] = rows
  // of x. Used to reduce the gradient pieces of one row that arrive from several ranks after
  // they are sorted by row.
  // shapes: out [segments, dim], x [offsets[segments], dim], offsets [segments + 1] (int64).
  virtual void segment_sum(float* out, const float* x, const int64_t* offsets, int64_t segments,
                           int64_t dim) = 0;
};

}  // namespace slatetrain
