// Internal to the CPU backend: requests the cache lines of one table row ahead of its use. The
// rows a kernel touches lie far apart in tables much larger than the caches, so each is a cache
// and TLB miss the hardware prefetcher cannot foresee; requesting it a few iterations early
// overlaps the miss with the work before it. Where threads own column ranges of the rows they
// write, each requests only its own columns, so no cache line moves between threads.
#pragma once

#include <cstdint>

namespace slatetrain {
namespace cpu {

constexpr int64_t kFloatsPerPrefetchedLine = 16;  // 64-byte cache lines

__attribute__((always_inline)) inline void prefetch_columns(const float* row, int64_t column_begin,
                                                            int64_t column_end, bool for_write) {
  for (int64_t c = column_begin; c < column_end; c += kFloatsPerPrefetchedLine) {
    if (for_write) {
      __builtin_prefetch(row + c, 1, 3);
    } else {
      __builtin_prefetch(row + c, 0, 3);
    }
  }
}

}  // namespace cpu
}  // namespace slatetrain
