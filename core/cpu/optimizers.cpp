// CpuBackend: dense Adam/AdamW and the sparse (lazy) row-wise Adam and Adagrad updates.
#include <cmath>
#include <cstdint>
#include <vector>

#include "core/cpu/row_prefetch.hpp"
#include "core/cpu/vector_clones.hpp"
#include "core/cpu_backend.hpp"
#include "core/error.hpp"

namespace slatetrain {

namespace {

// One Adam step on `count` consecutive values.
inline void adam_values(float* __restrict parameters, float* __restrict first_moment,
                        float* __restrict second_moment, const float* __restrict gradients,
                        int64_t count, const AdamSettings& settings, float first_correction,
                        float second_correction) {
  const float beta1 = settings.beta1, beta2 = settings.beta2;
  const float decay = settings.weight_decay;
  for (int64_t i = 0; i < count; ++i) {
    float gradient = gradients[i];
    if (!settings.decoupled) gradient += decay * parameters[i];
    first_moment[i] = beta1 * first_moment[i] + (1.0f - beta1) * gradient;
    second_moment[i] = beta2 * second_moment[i] + (1.0f - beta2) * gradient * gradient;
    const float m_hat = first_moment[i] / first_correction;
    const float v_hat = second_moment[i] / second_correction;
    float update = m_hat / (std::sqrt(v_hat) + settings.epsilon);
    if (settings.decoupled) update += decay * parameters[i];
    parameters[i] -= settings.learning_rate * update;
  }
}

// The touched rows lie far apart in tables much larger than the caches (1.3M rows x 64 floats
// x 3 for Adam): each row is a cache and TLB miss that the hardware prefetcher cannot foresee.
// Requesting the rows a few iterations ahead overlaps those misses with the arithmetic.
constexpr int64_t kRowsAhead = 4;

inline void prefetch_row_for_write(const float* row, int64_t dim) {
  cpu::prefetch_columns(row, 0, dim, true);
}

// Adam on the listed rows [begin, end) of a table. Cloned for wider vectors
// (core/cpu/vector_clones.hpp): a row's 64 values take 4 AVX-512 divisions and square roots
// instead of 16 SSE ones. optimizers.cpp is compiled without floating-point contraction, so
// every clone rounds as the baseline does: the same values on any x86-64 processor.
SLATETRAIN_VECTOR_CLONES void adam_rows(float* table, float* first_moment, float* second_moment,
                                        const int32_t* rows, const float* gradients, int64_t begin,
                                        int64_t end, int64_t dim, const AdamSettings& settings,
                                        float first_correction, float second_correction) {
  for (int64_t i = begin; i < end; ++i) {
    if (i + kRowsAhead < end) {
      const int64_t ahead = int64_t{rows[i + kRowsAhead]} * dim;
      prefetch_row_for_write(table + ahead, dim);
      prefetch_row_for_write(first_moment + ahead, dim);
      prefetch_row_for_write(second_moment + ahead, dim);
    }
    const int64_t offset = int64_t{rows[i]} * dim;
    adam_values(table + offset, first_moment + offset, second_moment + offset, gradients + i * dim,
                dim, settings, first_correction, second_correction);
  }
}

// Adagrad on the listed rows [begin, end); cloned as adam_rows is.
SLATETRAIN_VECTOR_CLONES void adagrad_rows(float* table, float* accumulator, const int32_t* rows,
                                           const float* gradients, int64_t begin, int64_t end,
                                           int64_t dim, const AdagradSettings& settings) {
  for (int64_t i = begin; i < end; ++i) {
    if (i + kRowsAhead < end) {
      const int64_t ahead = int64_t{rows[i + kRowsAhead]} * dim;
      prefetch_row_for_write(table + ahead, dim);
      prefetch_row_for_write(accumulator + ahead, dim);
    }
    const int64_t offset = int64_t{rows[i]} * dim;
    float* __restrict parameter = table + offset;
    float* __restrict sum = accumulator + offset;
    const float* __restrict gradient = gradients + i * dim;
    for (int64_t c = 0; c < dim; ++c) {
      sum[c] += gradient[c] * gradient[c];
      parameter[c] -= settings.learning_rate * gradient[c] / (std::sqrt(sum[c]) + settings.epsilon);
    }
  }
}

void check_settings(const AdamSettings& settings) {
  REQUIRE(settings.step >= 1, "adam: step " << settings.step << " (1-based, at least 1)");
}

// A bit per table row, kept per thread between calls: a table-sized map allocated and zeroed
// on every step cost a page fault per 4 KiB (clear_page_erms in profiles) and touched all of
// it; the bits of 1.3M rows (164 KB) stay in cache, and only the listed rows' bits are reset.
class RowMarks {
 public:
  void reserve(int64_t table_rows) {
    const size_t words = static_cast<size_t>((table_rows + 63) / 64);
    if (words_.size() < words) words_.resize(words, 0);
  }
  // Sets the row's bit; false when it was already set.
  bool mark(int32_t row) {
    uint64_t& word = words_[static_cast<size_t>(row) >> 6];
    const uint64_t bit = uint64_t{1} << (row & 63);
    const bool fresh = !(word & bit);
    word |= bit;
    return fresh;
  }
  void clear(const int32_t* rows, int64_t count) {
    for (int64_t i = 0; i < count; ++i) words_[static_cast<size_t>(rows[i]) >> 6] = 0;
  }

 private:
  std::vector<uint64_t> words_;
};

void check_rows(const char* op, const int32_t* rows, int64_t row_count, int64_t table_rows) {
  thread_local RowMarks marks;
  marks.reserve(table_rows);
  for (int64_t i = 0; i < row_count; ++i) {
    const bool inside = rows[i] >= 0 && rows[i] < table_rows;
    const bool fresh = inside && marks.mark(rows[i]);
    if (!fresh) marks.clear(rows, i);  // the marks stay all-zero between calls
    REQUIRE(inside,
            op << ": rows[" << i << "] = " << rows[i] << " outside [0, " << table_rows << ")");
    REQUIRE(fresh, op << ": row " << rows[i] << " listed twice (rows[" << i << "])");
  }
  marks.clear(rows, row_count);
}

}  // namespace

void CpuBackend::adam_update(float* parameters, float* first_moment, float* second_moment,
                             const float* gradients, int64_t n, const AdamSettings& settings) {
  check_settings(settings);
  const float first_correction =
      1.0f - static_cast<float>(std::pow(double(settings.beta1), double(settings.step)));
  const float second_correction =
      1.0f - static_cast<float>(std::pow(double(settings.beta2), double(settings.step)));
  parallel_for(n, 1 << 14, [&](int64_t begin, int64_t end) {
    adam_values(parameters + begin, first_moment + begin, second_moment + begin, gradients + begin,
                end - begin, settings, first_correction, second_correction);
  });
}

void CpuBackend::sparse_adam_update(float* table, float* first_moment, float* second_moment,
                                    const int32_t* rows, const float* gradients, int64_t row_count,
                                    int64_t dim, int64_t table_rows, const AdamSettings& settings) {
  check_settings(settings);
  check_rows("sparse_adam_update", rows, row_count, table_rows);
  const float first_correction =
      1.0f - static_cast<float>(std::pow(double(settings.beta1), double(settings.step)));
  const float second_correction =
      1.0f - static_cast<float>(std::pow(double(settings.beta2), double(settings.step)));
  parallel_for(row_count, 64, [&](int64_t begin, int64_t end) {
    adam_rows(table, first_moment, second_moment, rows, gradients, begin, end, dim, settings,
              first_correction, second_correction);
  });
}

void CpuBackend::sparse_adagrad_update(float* table, float* accumulator, const int32_t* rows,
                                       const float* gradients, int64_t row_count, int64_t dim,
                                       int64_t table_rows, const AdagradSettings& settings) {
  check_rows("sparse_adagrad_update", rows, row_count, table_rows);
  parallel_for(row_count, 64, [&](int64_t begin, int64_t end) {
    adagrad_rows(table, accumulator, rows, gradients, begin, end, dim, settings);
  });
}

}  // namespace slatetrain
