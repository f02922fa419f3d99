// CpuBackend: the slate softmax cross-entropy and the sampled softmax loss, each returning the
// loss sum and (optionally) its gradient in one pass.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "core/cpu/fast_activations.hpp"
#include "core/cpu/row_dots.hpp"
#include "core/cpu_backend.hpp"
#include "core/error.hpp"

namespace slatetrain {

namespace {

double ordered_sum(const std::vector<double>& values) {
  double total = 0.0;
  for (double value : values) total += value;
  return total;
}

}  // namespace

double CpuBackend::slate_cross_entropy(float* dscores, float* step_loss, const float* scores,
                                       const int32_t* target, const uint8_t* step_mask, int64_t n,
                                       int64_t slate, float gradient_scale) {
  std::vector<double> losses(static_cast<size_t>(n), 0.0);
  parallel_for(n, 64, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const float* row = scores + i * slate;
      float* grad = dscores ? dscores + i * slate : nullptr;
      if (!step_mask[i]) {
        if (grad) std::fill(grad, grad + slate, 0.0f);
        if (step_loss) step_loss[i] = 0.0f;
        continue;
      }
      const int32_t position = target[i];
      REQUIRE(position >= 0 && position < slate && std::isfinite(row[position]),
              "slate_cross_entropy: step " << i << " targets position " << position
                                           << " which is masked or outside the slate of " << slate);
      float maximum = -std::numeric_limits<float>::infinity();
      for (int64_t j = 0; j < slate; ++j) maximum = std::max(maximum, row[j]);
      double denominator = 0.0;
      for (int64_t j = 0; j < slate; ++j) denominator += std::exp(double(row[j]) - maximum);
      const double log_denominator = std::log(denominator) + maximum;
      const double loss = log_denominator - row[position];
      losses[static_cast<size_t>(i)] = loss;
      if (step_loss) step_loss[i] = static_cast<float>(loss);
      if (grad) {
        for (int64_t j = 0; j < slate; ++j) {
          const double probability = std::exp(double(row[j]) - log_denominator);
          grad[j] = static_cast<float>(gradient_scale * (probability - (j == position ? 1 : 0)));
        }
      }
    }
  });
  return ordered_sum(losses);
}

double CpuBackend::sampled_softmax_loss(float* duser, float* drows, float* step_loss,
                                        const float* user, const float* rows,
                                        const int32_t* positive, const int32_t* negative,
                                        const float* logit_offset, const uint8_t* step_mask,
                                        int64_t n, int64_t negatives, int64_t dim,
                                        int64_t row_count, float gradient_scale) {
  for (int64_t i = 0; i < n; ++i) {
    if (!step_mask[i]) continue;
    REQUIRE(positive[i] >= 0 && positive[i] < row_count,
            "sampled_softmax_loss: positive[" << i << "] = " << positive[i] << " outside [0, "
                                              << row_count << ")");
    for (int64_t k = 0; k < negatives; ++k) {
      const int32_t row = negative[i * negatives + k];
      REQUIRE(row >= -1 && row < row_count, "sampled_softmax_loss: negative["
                                                << i << ", " << k << "] = " << row
                                                << " outside [-1, " << row_count << ")");
    }
  }
  auto row_of_slot = [&](int64_t i, int64_t k) {
    return k == 0 ? positive[i] : negative[i * negatives + k - 1];
  };
  // d(logit) per step: slot 0 the positive, slots 1..K the negatives (0 when left out).
  const int64_t width = negatives + 1;
  std::vector<float> logit_grads(static_cast<size_t>(n * width), 0.0f);
  std::vector<double> losses(static_cast<size_t>(n), 0.0);
  // Per step: the logits in float (column-order dots, as the slate scores), the log-sum-exp with
  // float exponentials summed in double. libm's double exp and double dots were half of the
  // catalogue objective's CPU time; a float exp is within a few ulp (fast_activations.hpp).
  parallel_for(n, 16, [&](int64_t begin, int64_t end) {
    std::vector<float> logits(static_cast<size_t>(width));
    std::vector<int32_t> slots;  // the slots with a row: the positive and the real negatives
    slots.reserve(static_cast<size_t>(width));
    for (int64_t i = begin; i < end; ++i) {
      float* grad = logit_grads.data() + i * width;
      if (!step_mask[i]) {
        if (step_loss) step_loss[i] = 0.0f;
        continue;
      }
      const float* user_row = user + i * dim;
      slots.clear();
      slots.push_back(0);
      for (int64_t k = 0; k < negatives; ++k) {
        if (negative[i * negatives + k] >= 0) slots.push_back(static_cast<int32_t>(k + 1));
      }
      auto row_at = [&](size_t q) { return rows + int64_t{row_of_slot(i, slots[q])} * dim; };
      size_t q = 0;
      float four[4];
      for (; q + 4 <= slots.size(); q += 4) {
        cpu::dot4(user_row, row_at(q), row_at(q + 1), row_at(q + 2), row_at(q + 3), dim, four);
        for (size_t r = 0; r < 4; ++r) logits[static_cast<size_t>(slots[q + r])] = four[r];
      }
      for (; q < slots.size(); ++q) {
        logits[static_cast<size_t>(slots[q])] = cpu::dot(user_row, row_at(q), dim);
      }
      const float* offset = logit_offset ? logit_offset + i * width : nullptr;
      float maximum = -std::numeric_limits<float>::infinity();
      for (const int32_t slot : slots) {
        float& logit = logits[static_cast<size_t>(slot)];
        if (offset) logit += offset[slot];
        maximum = std::max(maximum, logit);
      }
      double denominator = 0.0;
      for (const int32_t slot : slots) {
        denominator += cpu::fast_exp(logits[static_cast<size_t>(slot)] - maximum);
      }
      const double log_denominator = std::log(denominator) + maximum;
      const double loss = log_denominator - logits[0];
      losses[static_cast<size_t>(i)] = loss;
      if (step_loss) step_loss[i] = static_cast<float>(loss);
      for (const int32_t slot : slots) {
        const float probability = cpu::fast_exp(
            static_cast<float>(double(logits[static_cast<size_t>(slot)]) - log_denominator));
        grad[slot] = gradient_scale * (probability - (slot == 0 ? 1.0f : 0.0f));
      }
    }
  });
  if (duser) {
    parallel_for(n, 16, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) {
        float* target = duser + i * dim;
        std::fill(target, target + dim, 0.0f);
        if (!step_mask[i]) continue;
        for (int64_t k = 0; k < width; ++k) {
          const int32_t row = row_of_slot(i, k);
          if (row < 0) continue;
          const float grad = logit_grads[static_cast<size_t>(i * width + k)];
          const float* source = rows + int64_t{row} * dim;
          for (int64_t c = 0; c < dim; ++c) target[c] += grad * source[c];
        }
      }
    });
  }
  if (drows) {
    parallel_for_columns(dim, [&](int64_t column_begin, int64_t column_end) {
      for (int64_t i = 0; i < n; ++i) {
        if (!step_mask[i]) continue;
        const float* source = user + i * dim;
        for (int64_t k = 0; k < width; ++k) {
          const int32_t row = row_of_slot(i, k);
          if (row < 0) continue;
          const float grad = logit_grads[static_cast<size_t>(i * width + k)];
          float* target = drows + int64_t{row} * dim;
          for (int64_t c = column_begin; c < column_end; ++c) target[c] += grad * source[c];
        }
      }
    });
  }
  return ordered_sum(losses);
}

}  // namespace slatetrain
