#include "models/optimizer_sparse_rows.hpp"

#include "core/error.hpp"

namespace slatetrain {

RowOptimizerKind parse_row_optimizer_kind(const std::string& name) {
  if (name == "adam") return RowOptimizerKind::kAdam;
  if (name == "adagrad") return RowOptimizerKind::kAdagrad;
  if (name == "sgd") return RowOptimizerKind::kSgd;
  RAISE("unknown row optimizer '" << name << "' (expected adam, adagrad or sgd)");
}

const char* row_optimizer_name(RowOptimizerKind kind) {
  switch (kind) {
    case RowOptimizerKind::kAdam:
      return "adam";
    case RowOptimizerKind::kAdagrad:
      return "adagrad";
    case RowOptimizerKind::kSgd:
      return "sgd";
  }
  return "?";
}

SparseRowOptimizer::SparseRowOptimizer(Backend& backend, int64_t table_rows, int64_t dim,
                                       RowOptimizerOptions options)
    : backend_(backend), table_rows_(table_rows), dim_(dim), options_(options) {
  REQUIRE(table_rows >= 0 && dim > 0,
          "SparseRowOptimizer: bad table shape [" << table_rows << ", " << dim << "]");
  if (options_.kind == RowOptimizerKind::kAdam) {
    state_names_ = {"adam_first_moment", "adam_second_moment"};
  } else if (options_.kind == RowOptimizerKind::kAdagrad) {
    state_names_ = {"adagrad_accumulator"};
  }
  for (size_t i = 0; i < state_names_.size(); ++i) {
    states_.emplace_back(backend_, std::vector<int64_t>{table_rows_, dim_}, DType::kFloat32);
    if (options_.kind == RowOptimizerKind::kAdagrad) {
      backend_.fill(states_.back().data<float>(), table_rows_ * dim_, options_.initial_accumulator);
    } else {
      states_.back().zero();
    }
  }
}

void SparseRowOptimizer::set_step_count(int64_t step_count) {
  REQUIRE(step_count >= 0, "SparseRowOptimizer: negative step count " << step_count);
  step_count_ = step_count;
}

Tensor& SparseRowOptimizer::state(size_t index) {
  REQUIRE(index < states_.size(),
          "SparseRowOptimizer: no state table " << index << " (" << states_.size() << " tables)");
  return states_[index];
}

void SparseRowOptimizer::step(float* table, const int32_t* rows, const float* gradients,
                              int64_t row_count, float learning_rate) {
  ++step_count_;
  if (row_count == 0) return;
  if (options_.kind == RowOptimizerKind::kAdam) {
    AdamSettings settings;
    settings.learning_rate = learning_rate;
    settings.beta1 = options_.beta1;
    settings.beta2 = options_.beta2;
    settings.epsilon = options_.adam_epsilon;
    settings.weight_decay = 0.0f;
    settings.step = step_count_;
    backend_.sparse_adam_update(table, states_[0].data<float>(), states_[1].data<float>(), rows,
                                gradients, row_count, dim_, table_rows_, settings);
  } else if (options_.kind == RowOptimizerKind::kSgd) {
    // The scaled gradients scatter-added into the rows (distinct rows: one add each).
    Tensor steps(backend_, {row_count, dim_}, DType::kFloat32);
    backend_.copy_on_device(steps.raw(), gradients,
                            static_cast<size_t>(row_count * dim_) * sizeof(float));
    backend_.scale(steps.data<float>(), row_count * dim_, -learning_rate);
    backend_.embedding_backward(table, steps.data<float>(), rows, row_count, dim_, table_rows_);
  } else {
    AdagradSettings settings;
    settings.learning_rate = learning_rate;
    settings.epsilon = options_.adagrad_epsilon;
    settings.initial_accumulator = options_.initial_accumulator;
    backend_.sparse_adagrad_update(table, states_[0].data<float>(), rows, gradients, row_count,
                                   dim_, table_rows_, settings);
  }
}

}  // namespace slatetrain
