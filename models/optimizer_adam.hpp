// Adam / AdamW for the dense parameters, which live in one flat buffer (one allreduce, one
// optimizer call, one checkpoint array). The math is the backend's adam_update.
#pragma once

#include <cstdint>

#include "core/backend.hpp"
#include "core/tensor.hpp"

namespace slatetrain {

struct AdamOptions {
  float beta1 = 0.9f;
  float beta2 = 0.999f;
  float epsilon = 1e-8f;
  float weight_decay = 0.0f;
  // true: AdamW (decoupled decay, p -= lr * wd * p); false: L2 added to the gradient.
  bool decoupled = true;
};

class DenseAdam {
 public:
  // Moments start at zero. `backend` must outlive the optimizer.
  DenseAdam(Backend& backend, int64_t parameter_count, AdamOptions options);

  // One update with this step's learning rate (from LearningRateSchedule).
  // shapes: parameters, gradients [parameter_count], on the backend's device.
  void step(float* parameters, const float* gradients, float learning_rate);

  int64_t parameter_count() const { return parameter_count_; }
  const AdamOptions& options() const { return options_; }

  // Checkpoint state: the updates done so far and the two moment buffers [parameter_count].
  int64_t step_count() const { return step_count_; }
  void set_step_count(int64_t step_count);
  Tensor& first_moment() { return first_moment_; }
  Tensor& second_moment() { return second_moment_; }

 private:
  Backend& backend_;
  int64_t parameter_count_;
  AdamOptions options_;
  int64_t step_count_ = 0;
  Tensor first_moment_;   // [parameter_count]
  Tensor second_moment_;  // [parameter_count]
};

}  // namespace slatetrain
