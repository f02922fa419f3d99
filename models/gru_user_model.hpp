// GruUserModel (`model.kind: gru`, Eide et al. 2022; docs/MODELS.md): the user state is a GRU
// over the user's input events; it advances only at steps with an input (clicks, or every real
// step with input_every_step) and holds otherwise; h_{-1} = 0. The user vector for step t is
// z_t = W_out h_{t-1}, the state before step t's event.
//
// Input per step: x_t = E[input item] (+ the interaction type's vector with the option).
// Parameters in the flat buffer (shapes): "gru.weight_ih" [3H, D], "gru.weight_hh" [3H, H],
// "gru.bias_ih" [3H], "gru.bias_hh" [3H] (torch.nn.GRU layout, gates r, z, n),
// "output.weight" [D, H], and with the option "interaction_type_embedding" [types, D].
#pragma once

#include <cstdint>

#include "core/backend.hpp"
#include "core/tensor.hpp"
#include "models/embedding_lookup.hpp"
#include "models/gru.hpp"
#include "models/interaction_type_embedding.hpp"
#include "models/linear.hpp"
#include "models/parameter_buffer.hpp"
#include "models/user_model.hpp"

namespace slatetrain {

struct GruUserModelConfig {
  int64_t dim = 32;                         // D: item vectors, GRU input and user vectors
  int64_t hidden = 32;                      // H: GRU state
  bool interaction_type_embedding = false;  // add a vector per interaction type to the input
  int64_t interaction_types = 3;            // types of the dataset (FINN: unknown, search, rec)
};

class GruUserModel final : public UserModel {
 public:
  // Declares its parameters in `parameters` (allocated later by the caller).
  GruUserModel(Backend& backend, ParameterBuffer& parameters, const GruUserModelConfig& config);
  GruUserModel(const GruUserModel&) = delete;
  GruUserModel& operator=(const GruUserModel&) = delete;

  std::string kind() const override { return "gru"; }
  int64_t dim() const override { return config_.dim; }
  const GruUserModelConfig& config() const { return config_; }

  // PyTorch-like: GRU and W_out uniform in +-1/sqrt(H), interaction-type vectors normal(0, 0.1).
  void initialize(uint64_t seed) override;
  const float* encode(const SequenceInputs& inputs, const float* rows,
                      const EncodeContext& context) override;
  void backward(float* drows, const float* duser) override;
  void user_vectors_after(float* user, const SequenceInputs& inputs, const float* rows,
                          const int32_t* steps_seen) override;

 private:
  // input -> GRU states output_states_ [n, H] (h_t after step t).
  void run_recurrence(const SequenceInputs& inputs, const float* rows);
  Gru::Weights gru_weights() const;
  Gru::Gradients gru_gradients();

  Backend& backend_;
  ParameterBuffer& parameters_;
  GruUserModelConfig config_;
  int weight_ih_, weight_hh_, bias_ih_, bias_hh_, output_weight_;
  int interaction_type_table_ = -1;

  EmbeddingLookup item_lookup_;
  InteractionTypeEmbedding interaction_type_;
  Gru gru_;
  Linear output_;

  // The last encode's batch (n = B*T steps), kept for backward.
  int batch_users_ = 0, max_steps_ = 0;
  int64_t num_rows_ = 0;
  int previous_index_steps_ = 0;  // T that previous_index_ was built for
  bool backward_ready_ = false;
  // Uploaded indices (device). shapes: [n] unless noted.
  Tensor input_rows_, has_input_, interaction_type_index_, picked_index_ /*[B]*/,
      previous_index_ /*[n]: b*T + t - 1, -1 at t = 0*/;
  // Activations and their gradients. shapes: input [n,D], output/previous [n,H], user [n,D].
  Tensor input_, output_states_, previous_, user_;
  Tensor dprevious_, doutput_, dinput_, picked_state_ /*[B,H]*/;
};

}  // namespace slatetrain
