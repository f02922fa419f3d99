// CpuBackend: per-row top k of a score matrix with per-row excluded columns.
#include <algorithm>
#include <limits>
#include <utility>
#include <vector>

#include "core/cpu_backend.hpp"
#include "core/error.hpp"

namespace slatetrain {

namespace {

// Better: a higher score, then a lower column.
struct Candidate {
  float score;
  int32_t column;
};
inline bool better(const Candidate& a, const Candidate& b) {
  return a.score > b.score || (a.score == b.score && a.column < b.column);
}

}  // namespace

void CpuBackend::top_k(float* top_scores, int32_t* top_columns, const float* scores, int64_t rows,
                       int64_t columns, int64_t k, const int64_t* exclude_offsets,
                       const int32_t* exclude_columns) {
  REQUIRE(k >= 1, "top_k: k = " << k);
  REQUIRE(columns <= std::numeric_limits<int32_t>::max(),
          "top_k: " << columns << " columns do not fit int32 column numbers");
  parallel_for(rows, 4, [&](int64_t begin, int64_t end) {
    std::vector<Candidate> heap;  // the worst of the kept candidates on top
    std::vector<int32_t> excluded;
    heap.reserve(static_cast<size_t>(k));
    for (int64_t u = begin; u < end; ++u) {
      excluded.clear();
      if (exclude_offsets) {
        excluded.assign(exclude_columns + exclude_offsets[u],
                        exclude_columns + exclude_offsets[u + 1]);
        std::sort(excluded.begin(), excluded.end());
      }
      auto next_excluded = excluded.begin();
      heap.clear();
      const float* row = scores + u * columns;
      for (int64_t c = 0; c < columns; ++c) {
        while (next_excluded != excluded.end() && *next_excluded < c) ++next_excluded;
        if (next_excluded != excluded.end() && *next_excluded == c) continue;
        const Candidate candidate{row[c], static_cast<int32_t>(c)};
        if (static_cast<int64_t>(heap.size()) < k) {
          heap.push_back(candidate);
          std::push_heap(heap.begin(), heap.end(), better);
        } else if (better(candidate, heap.front())) {
          std::pop_heap(heap.begin(), heap.end(), better);
          heap.back() = candidate;
          std::push_heap(heap.begin(), heap.end(), better);
        }
      }
      std::sort_heap(heap.begin(), heap.end(), better);
      for (int64_t i = 0; i < k; ++i) {
        const bool filled = i < static_cast<int64_t>(heap.size());
        top_scores[u * k + i] =
            filled ? heap[static_cast<size_t>(i)].score : -std::numeric_limits<float>::infinity();
        top_columns[u * k + i] = filled ? heap[static_cast<size_t>(i)].column : -1;
      }
    }
  });
}

}  // namespace slatetrain
