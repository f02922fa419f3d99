// Shared by the model tests: one forward (and backward) of a RecommenderModel on a prepared
// batch, the way the trainer runs it (encode -> objective -> objective backward -> user model
// backward), with rows and gradients in the backend's memory.
#pragma once

#include <cstdint>

#include "core/backend.hpp"
#include "core/tensor.hpp"
#include "models/model_batch.hpp"
#include "models/recommender_model.hpp"

namespace slatetrain::testing {

// The objective's summed loss (training mode when `training`, dropout keyed by dropout_seed).
inline double model_loss(RecommenderModel& model, const ModelBatch& batch, const float* rows,
                         bool training = true, uint64_t dropout_seed = 0) {
  const SequenceInputs inputs = batch.sequence_inputs();
  EncodeContext context;
  context.training = training;
  context.dropout_seed = dropout_seed;
  const float* user = model.user_model().encode(inputs, rows, context);
  return model.objective().forward(*batch.objective, user, rows, inputs.num_rows);
}

// A training forward and backward: returns the summed loss; drows [U, D] (device) is
// overwritten and the parameter gradients are zeroed first, then hold the gradients of
// gradient_scale * the summed loss.
inline double model_loss_and_gradients(Backend& backend, RecommenderModel& model,
                                       const ModelBatch& batch, const float* rows, float* drows,
                                       float gradient_scale, uint64_t dropout_seed = 0) {
  const SequenceInputs inputs = batch.sequence_inputs();
  const int64_t dim = model.user_model().dim();
  model.parameters().zero_gradients();
  const double loss = model_loss(model, batch, rows, true, dropout_seed);
  backend.zero(drows, static_cast<size_t>(inputs.num_rows * dim) * sizeof(float));
  Tensor duser(backend, {inputs.steps(), dim}, DType::kFloat32);
  model.objective().backward(duser.data<float>(), drows, gradient_scale);
  model.user_model().backward(drows, duser.data<float>());
  return loss;
}

}  // namespace slatetrain::testing
