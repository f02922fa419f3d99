// OptimizerOps: dense Adam / AdamW and the sparse row updates of the item table.
// One family of the Backend's ops (core/backend.hpp states the conventions every op follows);
// CpuBackend implements it as the reference, CudaBackend as its twin.
#pragma once

#include <cstddef>
#include <cstdint>

namespace slatetrain {

// Settings for the dense and sparse Adam updates.
struct AdamSettings {
  float learning_rate = 1e-3f;
  float beta1 = 0.9f;
  float beta2 = 0.999f;
  float epsilon = 1e-8f;
  // decoupled = true: AdamW, parameter -= learning_rate * weight_decay * parameter.
  // decoupled = false: Adam with L2, gradient += weight_decay * parameter.
  float weight_decay = 0.0f;
  bool decoupled = true;
  // 1-based count of updates so far including this one, for bias correction
  // (1 - beta^step). The sparse (lazy) update uses the global step for every row.
  int64_t step = 1;
};

struct AdagradSettings {
  float learning_rate = 1e-2f;
  float epsilon = 1e-10f;
  // accumulator starts at this value (set by the caller with fill()); listed for reference.
  float initial_accumulator = 0.0f;
};

class OptimizerOps {
 public:
  virtual ~OptimizerOps() = default;

  // Dense Adam / AdamW over n parameters (settings.decoupled picks which).
  // m = beta1 m + (1-beta1) g; v = beta2 v + (1-beta2) g^2;
  // p -= lr * (m / (1-beta1^step)) / (sqrt(v / (1-beta2^step)) + eps)  [- lr * wd * p].
  // shapes: parameters, first_moment, second_moment, gradients [n].
  virtual void adam_update(float* parameters, float* first_moment, float* second_moment,
                           const float* gradients, int64_t n, const AdamSettings& settings) = 0;
  // Lazy (sparse) Adam on the rows a step touched: for each i, row r = rows[i] of table and its
  // moments get the dense Adam update with gradient gradients[i, :]; other rows are untouched.
  // rows must be distinct and in [0, table_rows).
  // shapes: table, first_moment, second_moment [table_rows, dim]; rows [row_count] (int32);
  //         gradients [row_count, dim] (each row's summed gradient).
  virtual void sparse_adam_update(float* table, float* first_moment, float* second_moment,
                                  const int32_t* rows, const float* gradients, int64_t row_count,
                                  int64_t dim, int64_t table_rows,
                                  const AdamSettings& settings) = 0;
  // Sparse Adagrad, elementwise accumulator: a += g^2; p -= lr * g / (sqrt(a) + eps).
  // shapes: table, accumulator [table_rows, dim]; rows [row_count]; gradients [row_count, dim].
  virtual void sparse_adagrad_update(float* table, float* accumulator, const int32_t* rows,
                                     const float* gradients, int64_t row_count, int64_t dim,
                                     int64_t table_rows, const AdagradSettings& settings) = 0;
};

}  // namespace slatetrain
