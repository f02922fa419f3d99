#include "models/transformer_user_model.hpp"

#include <vector>

#include "core/error.hpp"
#include "core/random.hpp"
#include "models/device_buffer.hpp"

namespace slatetrain {

namespace {
constexpr uint64_t kInputDropoutStream = 0x696e707574;  // "input"
constexpr uint64_t kEncoderDropoutStream = 0x656e63;    // "enc"
}  // namespace

TransformerUserModel::TransformerUserModel(Backend& backend, ParameterBuffer& parameters,
                                           const TransformerUserModelConfig& config)
    : backend_(backend),
      parameters_(parameters),
      config_(config),
      position_table_(parameters.add("transformer.position_embedding",
                                     {config.max_length, config.encoder.dim})),
      encoder_(config.encoder, parameters, "transformer"),
      item_lookup_{0, config.encoder.dim},
      interaction_type_(config.interaction_types, config.encoder.dim),
      input_dropout_{config.encoder.dropout} {
  REQUIRE(config.max_length > 0, "model.max_length must be positive, not " << config.max_length);
  REQUIRE(config.interaction_types > 0,
          "TransformerUserModel: " << config.interaction_types << " interaction types");
  if (config.interaction_type_embedding) {
    interaction_type_table_ = parameters_.add("interaction_type_embedding",
                                              {config.interaction_types, config.encoder.dim});
  }
}

void TransformerUserModel::initialize(uint64_t seed) {
  Random random(seed);
  std::vector<float> positions(static_cast<size_t>(parameters_.views()[position_table_].numel));
  for (float& value : positions) value = static_cast<float>(0.02 * random.normal());
  parameters_.set_values("transformer.position_embedding", positions);
  if (interaction_type_table_ >= 0) {
    std::vector<float> types(
        static_cast<size_t>(parameters_.views()[interaction_type_table_].numel));
    for (float& value : types) value = static_cast<float>(0.1 * random.normal());
    parameters_.set_values("interaction_type_embedding", types);
  }
  encoder_.initialize(hash_mix(seed, 1));
}

void TransformerUserModel::run_encoder(const SequenceInputs& inputs, const float* rows,
                                       const EncodeContext& context) {
  const int64_t B = inputs.batch_users, T = inputs.max_steps, n = B * T;
  const int64_t D = config_.encoder.dim;
  REQUIRE(T > 0 && T <= config_.max_length, "TransformerUserModel: windows of "
                                                << T << " steps, but model.max_length is "
                                                << config_.max_length);
  batch_users_ = inputs.batch_users;
  max_steps_ = inputs.max_steps;
  num_rows_ = inputs.num_rows;
  for (int64_t i = 0; i < n; ++i) {
    REQUIRE(inputs.input_rows[i] < num_rows_, "TransformerUserModel: input row "
                                                  << inputs.input_rows[i] << " of user " << i / T
                                                  << " step " << i % T << " outside the batch's "
                                                  << num_rows_ << " rows");
  }
  const int32_t* input_rows = upload(backend_, input_rows_, inputs.input_rows, n);
  const uint8_t* has_input = upload(backend_, has_input_, inputs.has_input, n);
  std::vector<int32_t> position(static_cast<size_t>(n));
  row_keys_.assign(static_cast<size_t>(n), 0);
  for (int64_t i = 0; i < n; ++i) {
    position[i] = static_cast<int32_t>(i % T);
    row_keys_[i] = hash_mix(static_cast<uint64_t>(inputs.user_row[i / T]), i % T);
  }
  const int32_t* positions = upload(backend_, positions_, position.data(), n);

  // x [n, D] = E[input] (+ type) + P[t], then dropout.
  float* input = ensure_buffer<float>(backend_, input_, n * D);
  item_lookup_.table_rows = num_rows_;
  item_lookup_.forward(backend_, input, rows, input_rows, n);
  if (config_.interaction_type_embedding) {
    const int32_t* type = upload(backend_, interaction_type_index_, inputs.interaction_type, n);
    interaction_type_.forward(backend_, input, parameters_.values(interaction_type_table_), type,
                              n);
  }
  // The position vectors go through output_ (the encoder overwrites it below).
  const EmbeddingLookup position_lookup{config_.max_length, D};
  float* output = ensure_buffer<float>(backend_, output_, n * D);
  position_lookup.forward(backend_, output, parameters_.values(position_table_), positions, n);
  backend_.axpy(input, output, n * D, 1.0f);
  const int64_t* keys = upload<int64_t>(backend_, row_keys_device_,
                                        reinterpret_cast<const int64_t*>(row_keys_.data()), n);
  input_mask_ =
      input_dropout_.mask(context.training, hash_mix(context.dropout_seed, kInputDropoutStream),
                          reinterpret_cast<const uint64_t*>(keys));
  input_dropout_.forward(backend_, input, input, n, D, input_mask_);

  DropoutContext dropout;
  dropout.training = context.training;
  dropout.seed = hash_mix(context.dropout_seed, kEncoderDropoutStream);
  dropout.row_keys = row_keys_.data();
  encoder_.forward(backend_, output, input, has_input, B, T, dropout);
}

void TransformerUserModel::pick_outputs(float* user, const std::vector<int32_t>& picks,
                                        Tensor& index) {
  const int64_t count = static_cast<int64_t>(picks.size());
  const int32_t* device_index = upload(backend_, index, picks.data(), count);
  const EmbeddingLookup pick{int64_t{batch_users_} * max_steps_, config_.encoder.dim};
  pick.forward(backend_, user, output_.data<float>(), device_index, count);
}

const float* TransformerUserModel::encode(const SequenceInputs& inputs, const float* rows,
                                          const EncodeContext& context) {
  run_encoder(inputs, rows, context);
  const int64_t B = inputs.batch_users, T = inputs.max_steps, n = B * T;
  // Step t reads the output at the user's last input event before t.
  std::vector<int32_t> previous(static_cast<size_t>(n), -1);
  for (int64_t b = 0; b < B; ++b) {
    int32_t last = -1;
    for (int64_t t = 0; t < T; ++t) {
      previous[b * T + t] = last;
      if (inputs.has_input[b * T + t]) last = static_cast<int32_t>(b * T + t);
    }
  }
  float* user = ensure_buffer<float>(backend_, user_, n * config_.encoder.dim);
  pick_outputs(user, previous, previous_input_);
  backward_ready_ = context.training;
  return user;
}

void TransformerUserModel::backward(float* drows, const float* duser) {
  REQUIRE(backward_ready_, "TransformerUserModel::backward without a training encode before it");
  backward_ready_ = false;
  const int64_t n = int64_t{batch_users_} * max_steps_, D = config_.encoder.dim;
  if (n == 0) return;
  // Undo the pick: doutput[j] = sum of duser over the steps that read output j.
  float* doutput = ensure_buffer<float>(backend_, doutput_, n * D);
  backend_.zero(doutput, static_cast<size_t>(n * D) * sizeof(float));
  const EmbeddingLookup pick{n, D};
  pick.backward(backend_, doutput, duser, previous_input_.data<int32_t>(), n);
  float* dinput = ensure_buffer<float>(backend_, dinput_, n * D);
  encoder_.backward(backend_, dinput, doutput);
  input_dropout_.backward(backend_, dinput, dinput, n, D, input_mask_);
  const EmbeddingLookup position_lookup{config_.max_length, D};
  position_lookup.backward(backend_, parameters_.gradients(position_table_), dinput,
                           positions_.data<int32_t>(), n);
  if (config_.interaction_type_embedding) {
    interaction_type_.backward(backend_, parameters_.gradients(interaction_type_table_), dinput,
                               interaction_type_index_.data<int32_t>(), n);
  }
  item_lookup_.backward(backend_, drows, dinput, input_rows_.data<int32_t>(), n);
}

void TransformerUserModel::user_vectors_after(float* user, const SequenceInputs& inputs,
                                              const float* rows, const int32_t* steps_seen) {
  const int64_t B = inputs.batch_users, T = inputs.max_steps;
  backward_ready_ = false;
  std::vector<int32_t> picks(static_cast<size_t>(B), -1);
  for (int64_t b = 0; b < B; ++b) {
    REQUIRE(steps_seen[b] >= 0 && steps_seen[b] <= T,
            "TransformerUserModel::user_vectors_after: steps_seen " << steps_seen[b] << " of user "
                                                                    << b << " outside 0.." << T);
    for (int64_t t = 0; t < steps_seen[b]; ++t) {
      if (inputs.has_input[b * T + t]) picks[b] = static_cast<int32_t>(b * T + t);
    }
  }
  if (B == 0) return;
  run_encoder(inputs, rows, EncodeContext{});
  pick_outputs(user, picks, picked_);
}

}  // namespace slatetrain
