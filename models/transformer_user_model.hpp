// TransformerUserModel (`model.kind: transformer`, SASRec-style; docs/MODELS.md): causal
// self-attention over the user's input events. Per step t the input is
//   x_t = E[input item] (+ the interaction type's vector) + P[t]   (P: learned positions)
// with dropout (model.dropout), then the encoder (models/transformer_encoder.hpp: pre-norm
// blocks of multi-head causal attention and a GELU feed-forward, a final layer norm) attends
// only to steps that carry an input event. The user vector for step t is the encoder's output
// at the last input event before t (zeros before the first one): like the GRU's, it never sees
// step t's own click.
//
// Parameters in the flat buffer: "transformer.position_embedding" [max_length, D] (normal,
// std 0.02, as BERT4Rec/RecBole), "interaction_type_embedding" [types, D] with the option, and
// the encoder's under "transformer." (models/transformer_encoder.hpp).
// Dropout masks are keyed by (user row in the dataset, t) and the step's seed: the same for
// any rank split.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "core/backend.hpp"
#include "core/tensor.hpp"
#include "models/dropout.hpp"
#include "models/embedding_lookup.hpp"
#include "models/interaction_type_embedding.hpp"
#include "models/parameter_buffer.hpp"
#include "models/transformer_encoder.hpp"
#include "models/user_model.hpp"

namespace slatetrain {

struct TransformerUserModelConfig {
  TransformerEncoderConfig encoder;  // dim, heads, layers, ffn, dropouts
  int64_t max_length = 20;           // positions 0 .. max_length-1 (model.max_length)
  bool interaction_type_embedding = false;
  int64_t interaction_types = 3;
};

class TransformerUserModel final : public UserModel {
 public:
  TransformerUserModel(Backend& backend, ParameterBuffer& parameters,
                       const TransformerUserModelConfig& config);
  TransformerUserModel(const TransformerUserModel&) = delete;
  TransformerUserModel& operator=(const TransformerUserModel&) = delete;

  std::string kind() const override { return "transformer"; }
  int64_t dim() const override { return config_.encoder.dim; }
  int max_steps() const override { return static_cast<int>(config_.max_length); }

  void initialize(uint64_t seed) override;
  const float* encode(const SequenceInputs& inputs, const float* rows,
                      const EncodeContext& context) override;
  void backward(float* drows, const float* duser) override;
  void user_vectors_after(float* user, const SequenceInputs& inputs, const float* rows,
                          const int32_t* steps_seen) override;

 private:
  // Inputs -> encoder output_ [n, D] (n = B*T); picks[i] the row of output_ to read for row i
  // of the result (-1: zeros), uploaded and gathered into `user` [picks.size(), D].
  void run_encoder(const SequenceInputs& inputs, const float* rows, const EncodeContext& context);
  void pick_outputs(float* user, const std::vector<int32_t>& picks, Tensor& index);

  Backend& backend_;
  ParameterBuffer& parameters_;
  TransformerUserModelConfig config_;
  int position_table_, interaction_type_table_ = -1;
  TransformerEncoder encoder_;
  EmbeddingLookup item_lookup_;
  InteractionTypeEmbedding interaction_type_;
  Dropout input_dropout_;

  // The last encode's batch, kept for backward.
  int batch_users_ = 0, max_steps_ = 0;
  int64_t num_rows_ = 0;
  bool backward_ready_ = false;
  DropoutMask input_mask_;
  std::vector<uint64_t> row_keys_;  // [n] host: hash of (user row, t)
  // Device. shapes: [n] unless noted.
  Tensor input_rows_, has_input_, positions_, interaction_type_index_, row_keys_device_,
      previous_input_ /*[n]: the row of output_ each step's user vector reads*/, picked_ /*[B]*/;
  Tensor input_ /*[n, D]*/, output_ /*[n, D]*/, user_ /*[n, D]*/, doutput_, dinput_;
};

}  // namespace slatetrain
