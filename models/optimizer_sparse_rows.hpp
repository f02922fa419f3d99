// The sparse row optimizers of the item table: lazy Adam, Adagrad or plain SGD, applied by a row's owner
// to the rows a step touched (docs/DISTRIBUTION.md). State is one [table_rows, dim] buffer per
// moment/accumulator, indexed by the owner's local row. The math is the backend's
// sparse_adam_update / sparse_adagrad_update.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/backend.hpp"
#include "core/tensor.hpp"

namespace slatetrain {

// kSgd: p -= lr * g, no state; unlike Adam and Adagrad, whose step is about lr whatever the
// gradient's size, a row moves in proportion to its gradient (docs/ITEM_PRIOR.md).
enum class RowOptimizerKind { kAdam, kAdagrad, kSgd };

// "adam" / "adagrad" / "sgd"; anything else is an Error naming the text.
RowOptimizerKind parse_row_optimizer_kind(const std::string& name);
const char* row_optimizer_name(RowOptimizerKind kind);

struct RowOptimizerOptions {
  RowOptimizerKind kind = RowOptimizerKind::kAdam;
  // Adam (lazy: bias correction with the global step count, as PyTorch's SparseAdam).
  float beta1 = 0.9f;
  float beta2 = 0.999f;
  float adam_epsilon = 1e-8f;
  // Adagrad: elementwise accumulator starting at initial_accumulator.
  float adagrad_epsilon = 1e-10f;
  float initial_accumulator = 0.0f;
};

class SparseRowOptimizer {
 public:
  SparseRowOptimizer(Backend& backend, int64_t table_rows, int64_t dim,
                     RowOptimizerOptions options);

  // One step: every rank calls it every training step, with the rows it owns that the step
  // touched (possibly none), so the step count stays global.
  // shapes: table [table_rows, dim]; rows [row_count] int32, distinct, device;
  //         gradients [row_count, dim] (each row's summed gradient), device.
  void step(float* table, const int32_t* rows, const float* gradients, int64_t row_count,
            float learning_rate);

  const RowOptimizerOptions& options() const { return options_; }
  int64_t table_rows() const { return table_rows_; }
  int64_t dim() const { return dim_; }

  // Checkpoint state: the step count and the state tables, each [table_rows, dim]:
  // Adam: "adam_first_moment", "adam_second_moment"; Adagrad: "adagrad_accumulator"; SGD: none.
  int64_t step_count() const { return step_count_; }
  void set_step_count(int64_t step_count);
  const std::vector<std::string>& state_names() const { return state_names_; }
  Tensor& state(size_t index);

 private:
  Backend& backend_;
  int64_t table_rows_;
  int64_t dim_;
  RowOptimizerOptions options_;
  int64_t step_count_ = 0;
  std::vector<std::string> state_names_;
  std::vector<Tensor> states_;  // each [table_rows, dim]
};

}  // namespace slatetrain
