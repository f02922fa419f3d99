// CpuBackend: the catalogue softmax pieces (core/ops/softmax_ops.hpp), one row per task.
#include <algorithm>
#include <cmath>
#include <limits>

#include "core/cpu_backend.hpp"

namespace slatetrain {

namespace {
constexpr int64_t kRowGrain = 16;
}  // namespace

void CpuBackend::logsumexp_update(float* running_max, float* running_sum, const float* scores,
                                  int64_t rows, int64_t columns) {
  parallel_for(rows, kRowGrain, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      const float* row = scores + r * columns;
      float largest = running_max[r];
      for (int64_t j = 0; j < columns; ++j) largest = std::max(largest, row[j]);
      if (largest == -std::numeric_limits<float>::infinity()) continue;  // nothing yet
      float sum = running_sum[r] * std::exp(running_max[r] - largest);
      for (int64_t j = 0; j < columns; ++j) sum += std::exp(row[j] - largest);
      running_max[r] = largest;
      running_sum[r] = sum;
    }
  });
}

void CpuBackend::softmax_from_logsumexp(float* scores, const float* logsumexp, int64_t rows,
                                        int64_t columns, float scale) {
  parallel_for(rows, kRowGrain, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      float* row = scores + r * columns;
      for (int64_t j = 0; j < columns; ++j) row[j] = scale * std::exp(row[j] - logsumexp[r]);
    }
  });
}

void CpuBackend::rowwise_dot(float* out, const float* a, const float* b, int64_t rows,
                             int64_t dim) {
  parallel_for(rows, kRowGrain, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      float sum = 0.0f;
      for (int64_t d = 0; d < dim; ++d) sum += a[r * dim + d] * b[r * dim + d];
      out[r] = sum;
    }
  });
}

}  // namespace slatetrain
