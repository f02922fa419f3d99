// CpuBackend: gathers of embedding rows and their scatter-add / segment-sum backward.
#include <algorithm>
#include <cstring>

#include "core/cpu/row_prefetch.hpp"
#include "core/cpu_backend.hpp"
#include "core/error.hpp"

namespace slatetrain {

namespace {

void check_indices(const char* op, const int32_t* index, int64_t n, int64_t table_rows) {
  for (int64_t i = 0; i < n; ++i) {
    REQUIRE(index[i] >= -1 && index[i] < table_rows,
            op << ": index[" << i << "] = " << index[i] << " outside [-1, " << table_rows << ")");
  }
}

// Rows requested this many positions ahead (core/cpu/row_prefetch.hpp).
constexpr int64_t kRowsAhead = 8;

inline void prefetch_row(const float* table, const int32_t* index, int64_t position, int64_t count,
                         int64_t dim, int64_t column_begin, int64_t column_end, bool for_write) {
  if (position >= count || index[position] < 0) return;
  cpu::prefetch_columns(table + static_cast<int64_t>(index[position]) * dim, column_begin,
                        column_end, for_write);
}

}  // namespace

void CpuBackend::embedding_forward(float* out, const float* table, const int32_t* index, int64_t n,
                                   int64_t dim, int64_t table_rows) {
  check_indices("embedding_forward", index, n, table_rows);
  const size_t row_bytes = static_cast<size_t>(dim) * sizeof(float);
  parallel_for(n, 64, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      prefetch_row(table, index, i + kRowsAhead, end, dim, 0, dim, false);
      if (index[i] < 0) {
        std::memset(out + i * dim, 0, row_bytes);
      } else {
        std::memcpy(out + i * dim, table + static_cast<int64_t>(index[i]) * dim, row_bytes);
      }
    }
  });
}

void CpuBackend::embedding_backward(float* dtable, const float* dout, const int32_t* index,
                                    int64_t n, int64_t dim, int64_t table_rows) {
  check_indices("embedding_backward", index, n, table_rows);
  // Repeated indices add up in index order, whatever the thread count.
  parallel_for_columns(dim, [&](int64_t column_begin, int64_t column_end) {
    for (int64_t i = 0; i < n; ++i) {
      prefetch_row(dtable, index, i + kRowsAhead, n, dim, column_begin, column_end, true);
      if (index[i] < 0) continue;
      float* target = dtable + static_cast<int64_t>(index[i]) * dim;
      const float* source = dout + i * dim;
      for (int64_t c = column_begin; c < column_end; ++c) target[c] += source[c];
    }
  });
}

void CpuBackend::segment_sum(float* out, const float* x, const int64_t* offsets, int64_t segments,
                             int64_t dim) {
  REQUIRE(segments == 0 || offsets[0] == 0,
          "segment_sum: offsets[0] = " << offsets[0] << ", expected 0");
  for (int64_t s = 0; s < segments; ++s) {
    REQUIRE(offsets[s + 1] >= offsets[s], "segment_sum: offsets decrease at segment "
                                              << s << " (" << offsets[s] << " > " << offsets[s + 1]
                                              << ")");
  }
  parallel_for(segments, 16, [&](int64_t begin, int64_t end) {
    for (int64_t s = begin; s < end; ++s) {
      float* target = out + s * dim;
      std::fill(target, target + dim, 0.0f);
      for (int64_t row = offsets[s]; row < offsets[s + 1]; ++row) {
        const float* source = x + row * dim;
        for (int64_t c = 0; c < dim; ++c) target[c] += source[c];
      }
    }
  });
}

}  // namespace slatetrain
