// GruSlateModel (DESIGN.md section 5, `gru`): the user state is a GRU over the user's clicks;
// the user vector for step t is z_t = W_out h_{t-1} (the state before step t's click); the
// slate is scored by z_t . E[item] plus a no-click bias per slate length; trained with the
// `slate` loss or the `sampled_softmax` loss.
//
// The model never sees the item table: it reads a dense rows buffer [U, D] of the unique items
// the batch needs (gathered by the sharded embedding) through the ModelInputs indices, and its
// backward returns the gradient of those rows [U, D] for their owners. Dense parameters live in
// one flat ParameterBuffer (named views below); their gradients accumulate there.
#pragma once

#include <cstdint>

#include "core/backend.hpp"
#include "core/tensor.hpp"
#include "models/embedding_lookup.hpp"
#include "models/gru.hpp"
#include "models/interaction_type_embedding.hpp"
#include "models/linear.hpp"
#include "models/model_inputs.hpp"
#include "models/parameter_buffer.hpp"
#include "models/sampled_softmax_loss.hpp"
#include "models/slate_loss.hpp"
#include "models/slate_scoring.hpp"

namespace slatetrain {

// Slate lengths 0..26 (26 is a published anomaly) each have a no-click bias.
inline constexpr int64_t kNoClickBiasSize = 27;
inline constexpr int64_t kInteractionTypeCount = 3;

struct GruSlateModelConfig {
  int64_t dim = 32;                         // D: item vectors, GRU input and user vectors
  int64_t hidden = 32;                      // H: GRU state
  bool interaction_type_embedding = false;  // add a vector per interaction type to the input
  LossKind loss = LossKind::kSlate;
};

// Parameter names in the flat buffer (shapes): "gru.weight_ih" [3H, D], "gru.weight_hh" [3H, H],
// "gru.bias_ih" [3H], "gru.bias_hh" [3H], "output.weight" [D, H], "no_click_bias" [27], and with
// the option "interaction_type_embedding" [3, D]. GRU layout and gate order as torch.nn.GRU.
class GruSlateModel {
 public:
  GruSlateModel(Backend& backend, const GruSlateModelConfig& config);
  GruSlateModel(const GruSlateModel&) = delete;
  GruSlateModel& operator=(const GruSlateModel&) = delete;

  const GruSlateModelConfig& config() const { return config_; }
  ParameterBuffer& parameters() { return parameters_; }
  const ParameterBuffer& parameters() const { return parameters_; }

  // PyTorch-like initial values from `seed`: GRU and W_out uniform in +-1/sqrt(H), no-click
  // bias 0, interaction-type vectors normal(0, 0.1).
  void initialize(uint64_t seed);

  // Runs the batch and returns the configured loss summed over its loss steps (slate: steps
  // with target >= 0; sampled softmax: steps with positive_rows >= 0). rows [U, D] is on the
  // backend's device and must stay unchanged until backward.
  double forward(const ModelInputs& inputs, const float* rows);
  // After forward: drows [U, D] (overwrite) and the dense gradients (accumulate) of
  // gradient_scale * the summed loss; gradient_scale = 1 / global count of loss steps.
  void backward(float* drows, float gradient_scale);

  // The slate loss summed over the batch's target >= 0 steps, whatever the configured loss:
  // the held-out log-likelihood is minus this over held-out steps. No backward after it.
  double slate_loss(const ModelInputs& inputs, const float* rows);

  // user [B, D] (overwrite, device): the user vector after each user's first steps_seen steps,
  // W_out h_{steps_seen - 1} (zeros for steps_seen = 0): evaluation's z for t_testsplit.
  void user_vectors(float* user, const ModelInputs& inputs, const float* rows, int steps_seen);

 private:
  void check_inputs(const ModelInputs& inputs) const;
  // input -> GRU -> user vectors z for every step (user_ [n, D]).
  void run_sequence(const ModelInputs& inputs, const float* rows);
  double run_slate_loss(const ModelInputs& inputs, const float* rows);
  double run_sampled_softmax_loss(const ModelInputs& inputs, const float* rows);
  Gru::Weights gru_weights() const;
  Gru::Gradients gru_gradients();

  Backend& backend_;
  GruSlateModelConfig config_;
  ParameterBuffer parameters_;
  int weight_ih_, weight_hh_, bias_ih_, bias_hh_, output_weight_, no_click_bias_;
  int interaction_type_table_ = -1;

  EmbeddingLookup item_lookup_;
  InteractionTypeEmbedding interaction_type_;
  Gru gru_;
  Linear output_;

  // The last forward's batch (n = B*T steps), kept for backward.
  int batch_users_ = 0, max_steps_ = 0, slate_slots_ = 0, negatives_ = 0;
  int64_t num_rows_ = 0;
  int64_t sampled_loss_steps_ = 0;
  int previous_index_steps_ = 0;  // T that previous_index_ was built for
  const float* rows_ = nullptr;
  bool backward_ready_ = false;
  // Uploaded indices (device). shapes: [n] unless noted.
  Tensor click_rows_, advance_, slate_rows_ /*[n,S]*/, slate_length_, interaction_type_index_,
      target_, slate_loss_step_, positive_, negative_ /*[n,K]*/, sampled_loss_step_,
      last_step_index_ /*[B]*/, previous_index_ /*[n]: b*T + t - 1, -1 at t = 0*/;
  // Activations and their gradients. shapes: input [n,D], output/previous [n,H], user [n,D],
  // scores [n,S].
  Tensor input_, output_states_, previous_, user_, scores_;
  Tensor dscores_, duser_, dprevious_, doutput_, dinput_, last_state_ /*[B,H]*/;
};

}  // namespace slatetrain
