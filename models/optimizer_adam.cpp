#include "models/optimizer_adam.hpp"

#include "core/error.hpp"

namespace slatetrain {

DenseAdam::DenseAdam(Backend& backend, int64_t parameter_count, AdamOptions options)
    : backend_(backend),
      parameter_count_(parameter_count),
      options_(options),
      first_moment_(backend, {parameter_count}, DType::kFloat32),
      second_moment_(backend, {parameter_count}, DType::kFloat32) {
  REQUIRE(parameter_count >= 0, "DenseAdam: negative parameter count " << parameter_count);
  first_moment_.zero();
  second_moment_.zero();
}

void DenseAdam::set_step_count(int64_t step_count) {
  REQUIRE(step_count >= 0, "DenseAdam: negative step count " << step_count);
  step_count_ = step_count;
}

void DenseAdam::step(float* parameters, const float* gradients, float learning_rate) {
  ++step_count_;
  AdamSettings settings;
  settings.learning_rate = learning_rate;
  settings.beta1 = options_.beta1;
  settings.beta2 = options_.beta2;
  settings.epsilon = options_.epsilon;
  settings.weight_decay = options_.weight_decay;
  settings.decoupled = options_.decoupled;
  settings.step = step_count_;
  backend_.adam_update(parameters, first_moment_.data<float>(), second_moment_.data<float>(),
                       gradients, parameter_count_, settings);
}

}  // namespace slatetrain
