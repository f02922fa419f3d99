// CpuBackend: scores of the items of each slate against the user vector of the step, with the
// no-click option at position 0 scored by a bias per slate length.
#include <limits>
#include <vector>

#include "core/cpu/row_dots.hpp"
#include "core/cpu/row_prefetch.hpp"
#include "core/cpu/vector_clones.hpp"
#include "core/cpu_backend.hpp"
#include "core/error.hpp"

namespace slatetrain {

namespace {

void check_slate_inputs(const char* op, const int32_t* slate_index, const int32_t* slate_length,
                        int64_t n, int64_t slate, int64_t row_count, int64_t bias_size) {
  REQUIRE(slate >= 1, op << ": slate width " << slate << " (position 0 is the no-click option)");
  for (int64_t i = 0; i < n; ++i) {
    REQUIRE(slate_length[i] >= 0 && slate_length[i] < bias_size,
            op << ": slate_length[" << i << "] = " << slate_length[i] << " outside [0, "
               << bias_size << ")");
    for (int64_t j = 1; j < slate; ++j) {
      const int32_t row = slate_index[i * slate + j];
      REQUIRE(row >= -1 && row < row_count, op << ": slate_index[" << i << ", " << j << "] = "
                                               << row << " outside [-1, " << row_count << ")");
    }
  }
}

// The steps' slates are spread over a rows buffer far larger than the caches: a slate's rows
// are requested while the step before is computed, so their misses overlap with arithmetic.
constexpr int64_t kStepsAhead = 2;

// Columns [column_begin, column_end) of the step's slate rows; for_write when they are to be
// written (a thread prefetches only the columns it owns, so no line moves between threads).
inline void prefetch_slate_rows(const float* rows, const int32_t* step_index, int64_t slate,
                                int64_t dim, int64_t column_begin, int64_t column_end,
                                bool for_write) {
  for (int64_t j = 1; j < slate; ++j) {
    if (step_index[j] < 0) continue;
    cpu::prefetch_columns(rows + int64_t{step_index[j]} * dim, column_begin, column_end, for_write);
  }
}

// duser of steps [begin, end): sum over the slate of dscore * row, items in slate order.
// Cloned for wider vectors (core/cpu/vector_clones.hpp); slate_scores.cpp is compiled without
// floating-point contraction, so every clone gives the baseline's sums bit for bit.
SLATETRAIN_VECTOR_CLONES void slate_user_gradients(float* duser, const float* dscores,
                                                   const float* rows, const int32_t* slate_index,
                                                   int64_t begin, int64_t end, int64_t slate,
                                                   int64_t dim) {
  for (int64_t i = begin; i < end; ++i) {
    if (i + kStepsAhead < end) {
      prefetch_slate_rows(rows, slate_index + (i + kStepsAhead) * slate, slate, dim, 0, dim, false);
    }
    float* __restrict target = duser + i * dim;
    std::fill(target, target + dim, 0.0f);
    for (int64_t j = 1; j < slate; ++j) {
      const int32_t row = slate_index[i * slate + j];
      if (row < 0) continue;
      const float grad = dscores[i * slate + j];
      const float* __restrict source = rows + int64_t{row} * dim;
      for (int64_t c = 0; c < dim; ++c) target[c] += grad * source[c];
    }
  }
}

// drows, columns [column_begin, column_end) of every listed row: steps in order, so the sums
// are the same for any split of the columns. Cloned as slate_user_gradients is.
SLATETRAIN_VECTOR_CLONES void slate_row_gradients(float* drows, const float* dscores,
                                                  const float* user, const int32_t* slate_index,
                                                  int64_t n, int64_t slate, int64_t dim,
                                                  int64_t column_begin, int64_t column_end) {
  for (int64_t i = 0; i < n; ++i) {
    if (i + kStepsAhead < n) {
      prefetch_slate_rows(drows, slate_index + (i + kStepsAhead) * slate, slate, dim, column_begin,
                          column_end, true);
    }
    const float* __restrict source = user + i * dim;
    for (int64_t j = 1; j < slate; ++j) {
      const int32_t row = slate_index[i * slate + j];
      if (row < 0) continue;
      const float grad = dscores[i * slate + j];
      float* __restrict target = drows + int64_t{row} * dim;
      for (int64_t c = column_begin; c < column_end; ++c) target[c] += grad * source[c];
    }
  }
}

}  // namespace

void CpuBackend::slate_scores_forward(float* scores, const float* user, const float* rows,
                                      const int32_t* slate_index, const int32_t* slate_length,
                                      const float* no_click_bias, int64_t n, int64_t slate,
                                      int64_t dim, int64_t row_count, int64_t bias_size) {
  check_slate_inputs("slate_scores_forward", slate_index, slate_length, n, slate, row_count,
                     bias_size);
  const float masked = -std::numeric_limits<float>::infinity();
  parallel_for(n, 16, [&](int64_t begin, int64_t end) {
    std::vector<int64_t> scored;  // positions of the step's real items
    for (int64_t i = begin; i < end; ++i) {
      if (i + kStepsAhead < end) {
        prefetch_slate_rows(rows, slate_index + (i + kStepsAhead) * slate, slate, dim, 0, dim,
                            false);
      }
      float* step_scores = scores + i * slate;
      const float* user_row = user + i * dim;
      const int32_t* step_index = slate_index + i * slate;
      step_scores[0] = no_click_bias[slate_length[i]];
      scored.clear();
      for (int64_t j = 1; j < slate; ++j) {
        if (step_index[j] < 0) {
          step_scores[j] = masked;
        } else {
          scored.push_back(j);
        }
      }
      const int64_t count = static_cast<int64_t>(scored.size());
      auto row_of = [&](int64_t k) { return rows + int64_t{step_index[scored[k]]} * dim; };
      int64_t k = 0;
      float four[4];
      for (; k + 4 <= count; k += 4) {
        cpu::dot4(user_row, row_of(k), row_of(k + 1), row_of(k + 2), row_of(k + 3), dim, four);
        for (int q = 0; q < 4; ++q) step_scores[scored[k + q]] = four[q];
      }
      for (; k < count; ++k) step_scores[scored[k]] = cpu::dot(user_row, row_of(k), dim);
    }
  });
}

void CpuBackend::slate_scores_backward(float* duser, float* drows, float* dno_click_bias,
                                       const float* dscores, const float* user, const float* rows,
                                       const int32_t* slate_index, const int32_t* slate_length,
                                       int64_t n, int64_t slate, int64_t dim, int64_t row_count,
                                       int64_t bias_size) {
  check_slate_inputs("slate_scores_backward", slate_index, slate_length, n, slate, row_count,
                     bias_size);
  if (duser) {
    parallel_for(n, 16, [&](int64_t begin, int64_t end) {
      slate_user_gradients(duser, dscores, rows, slate_index, begin, end, slate, dim);
    });
  }
  if (drows) {
    // Threads own column ranges: race-free and the same sums for any thread count.
    parallel_for_columns(dim, [&](int64_t column_begin, int64_t column_end) {
      slate_row_gradients(drows, dscores, user, slate_index, n, slate, dim, column_begin,
                          column_end);
    });
  }
  if (dno_click_bias) {
    for (int64_t i = 0; i < n; ++i) dno_click_bias[slate_length[i]] += dscores[i * slate];
  }
}

}  // namespace slatetrain
