// Per-row top k with excluded columns, for evaluation over a catalogue shard.
// Pass 1 (one block of kTopKThreads per row): thread t scans columns t, t + 128, ... and keeps
// its best k in a sorted list in scratch memory; a candidate is checked against the row's
// exclusions only when it would enter the list, which after the first few columns is rare.
// Pass 2 (one block per row): k rounds, each picking the best head among the 128 lists.
// Order: higher score first, then lower column; NaN scores are never selected.
#include <cmath>

#include "core/cuda/launchers.hpp"
#include "core/cuda_error.hpp"

namespace slatetrain {
namespace cuda {
namespace {

__device__ inline bool better(float score, int32_t column, float other_score,
                              int32_t other_column) {
  return score > other_score || (score == other_score && column < other_column);
}

__device__ inline bool excluded(int32_t column, const int32_t* begin, const int32_t* end) {
  for (const int32_t* c = begin; c < end; ++c)
    if (*c == column) return true;
  return false;
}

__global__ void top_k_lists_kernel(float* list_scores, int32_t* list_columns, int32_t* list_lengths,
                                   const float* scores, int64_t columns, int64_t k,
                                   const int64_t* exclude_offsets, const int32_t* exclude_columns) {
  const int64_t row = blockIdx.x;
  const int64_t list = row * kTopKThreads + threadIdx.x;
  float* kept_scores = list_scores + list * k;
  int32_t* kept_columns = list_columns + list * k;
  const int32_t* exclude_begin = nullptr;
  const int32_t* exclude_end = nullptr;
  if (exclude_offsets != nullptr) {
    exclude_begin = exclude_columns + exclude_offsets[row];
    exclude_end = exclude_columns + exclude_offsets[row + 1];
  }
  const float* row_scores = scores + row * columns;
  int64_t length = 0;
  for (int64_t c = threadIdx.x; c < columns; c += kTopKThreads) {
    const float score = row_scores[c];
    if (isnan(score)) continue;
    const int32_t column = static_cast<int32_t>(c);
    if (length == k && !better(score, column, kept_scores[k - 1], kept_columns[k - 1])) continue;
    if (excluded(column, exclude_begin, exclude_end)) continue;
    // Insertion into the sorted list (a full list drops its last entry).
    int64_t position = length < k ? length : k - 1;
    while (position > 0 &&
           better(score, column, kept_scores[position - 1], kept_columns[position - 1])) {
      kept_scores[position] = kept_scores[position - 1];
      kept_columns[position] = kept_columns[position - 1];
      --position;
    }
    kept_scores[position] = score;
    kept_columns[position] = column;
    if (length < k) ++length;
  }
  list_lengths[list] = static_cast<int32_t>(length);
}

__global__ void top_k_merge_kernel(float* top_scores, int32_t* top_columns,
                                   const float* list_scores, const int32_t* list_columns,
                                   const int32_t* list_lengths, int64_t k) {
  __shared__ float best_scores[kTopKThreads];
  __shared__ int32_t best_columns[kTopKThreads];
  __shared__ int32_t best_lists[kTopKThreads];
  const int64_t row = blockIdx.x;
  const int64_t list = row * kTopKThreads + threadIdx.x;
  const int32_t length = list_lengths[list];
  int32_t head = 0;
  for (int64_t out = 0; out < k; ++out) {
    const bool has = head < length;
    best_scores[threadIdx.x] = has ? list_scores[list * k + head] : -INFINITY;
    best_columns[threadIdx.x] = has ? list_columns[list * k + head] : -1;
    best_lists[threadIdx.x] = has ? static_cast<int32_t>(threadIdx.x) : -1;
    __syncthreads();
    for (int width = kTopKThreads / 2; width > 0; width /= 2) {
      if (threadIdx.x < width) {
        const int other = threadIdx.x + width;
        // A real entry beats an empty slot even at -inf; among real entries, better() decides.
        const bool take =
            best_lists[other] >= 0 && (best_lists[threadIdx.x] < 0 ||
                                       better(best_scores[other], best_columns[other],
                                              best_scores[threadIdx.x], best_columns[threadIdx.x]));
        if (take) {
          best_scores[threadIdx.x] = best_scores[other];
          best_columns[threadIdx.x] = best_columns[other];
          best_lists[threadIdx.x] = best_lists[other];
        }
      }
      __syncthreads();
    }
    if (threadIdx.x == 0) {
      top_scores[row * k + out] = best_lists[0] >= 0 ? best_scores[0] : -INFINITY;
      top_columns[row * k + out] = best_lists[0] >= 0 ? best_columns[0] : -1;
    }
    if (best_lists[0] == static_cast<int32_t>(threadIdx.x)) ++head;
    __syncthreads();
  }
}

}  // namespace

void launch_top_k(float* top_scores, int32_t* top_columns, const float* scores, int64_t rows,
                  int64_t columns, int64_t k, const int64_t* exclude_offsets,
                  const int32_t* exclude_columns, float* scratch_scores, int32_t* scratch_columns,
                  int32_t* scratch_lengths, cudaStream_t stream) {
  if (rows <= 0) return;
  REQUIRE(rows <= 2147483647, "top_k: " << rows << " rows exceed one grid");
  top_k_lists_kernel<<<static_cast<unsigned int>(rows), kTopKThreads, 0, stream>>>(
      scratch_scores, scratch_columns, scratch_lengths, scores, columns, k, exclude_offsets,
      exclude_columns);
  CHECK_CUDA_LAUNCH();
  top_k_merge_kernel<<<static_cast<unsigned int>(rows), kTopKThreads, 0, stream>>>(
      top_scores, top_columns, scratch_scores, scratch_columns, scratch_lengths, k);
  CHECK_CUDA_LAUNCH();
}

}  // namespace cuda
}  // namespace slatetrain
