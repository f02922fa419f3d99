#include "models/gru_user_model.hpp"

#include <cmath>
#include <vector>

#include "core/error.hpp"
#include "core/random.hpp"
#include "models/device_buffer.hpp"

namespace slatetrain {

GruUserModel::GruUserModel(Backend& backend, ParameterBuffer& parameters,
                           const GruUserModelConfig& config)
    : backend_(backend),
      parameters_(parameters),
      config_(config),
      item_lookup_{0, config.dim},
      interaction_type_(config.interaction_types, config.dim),
      gru_(config.dim, config.hidden),
      output_{config.hidden, config.dim} {
  REQUIRE(config.dim > 0 && config.hidden > 0, "GruUserModel: dim " << config.dim << " and hidden "
                                                                    << config.hidden
                                                                    << " must be positive");
  REQUIRE(config.interaction_types > 0,
          "GruUserModel: " << config.interaction_types << " interaction types");
  const int64_t D = config.dim, H = config.hidden;
  weight_ih_ = parameters_.add("gru.weight_ih", {3 * H, D});
  weight_hh_ = parameters_.add("gru.weight_hh", {3 * H, H});
  bias_ih_ = parameters_.add("gru.bias_ih", {3 * H});
  bias_hh_ = parameters_.add("gru.bias_hh", {3 * H});
  output_weight_ = parameters_.add("output.weight", {D, H});
  if (config.interaction_type_embedding) {
    interaction_type_table_ =
        parameters_.add("interaction_type_embedding", {config.interaction_types, D});
  }
}

void GruUserModel::initialize(uint64_t seed) {
  Random random(seed);
  const double bound = 1.0 / std::sqrt(static_cast<double>(config_.hidden));
  for (const int index :
       {weight_ih_, weight_hh_, bias_ih_, bias_hh_, output_weight_, interaction_type_table_}) {
    if (index < 0) continue;
    const ParameterView& view = parameters_.views()[index];
    std::vector<float> values(static_cast<size_t>(view.numel));
    if (index == interaction_type_table_) {
      for (float& value : values) value = static_cast<float>(0.1 * random.normal());
    } else {
      for (float& value : values)
        value = static_cast<float>((2.0 * random.uniform() - 1.0) * bound);
    }
    parameters_.set_values(view.name, values);
  }
}

Gru::Weights GruUserModel::gru_weights() const {
  const ParameterBuffer& parameters = parameters_;
  return {parameters.values(weight_ih_), parameters.values(weight_hh_), parameters.values(bias_ih_),
          parameters.values(bias_hh_)};
}

Gru::Gradients GruUserModel::gru_gradients() {
  return {parameters_.gradients(weight_ih_), parameters_.gradients(weight_hh_),
          parameters_.gradients(bias_ih_), parameters_.gradients(bias_hh_)};
}

void GruUserModel::run_recurrence(const SequenceInputs& inputs, const float* rows) {
  REQUIRE(inputs.batch_users >= 0 && inputs.max_steps > 0,
          "GruUserModel: bad batch shape B=" << inputs.batch_users << " T=" << inputs.max_steps);
  batch_users_ = inputs.batch_users;
  max_steps_ = inputs.max_steps;
  num_rows_ = inputs.num_rows;
  const int64_t B = batch_users_, T = max_steps_, n = B * T;
  const int64_t D = config_.dim, H = config_.hidden;
  for (int64_t i = 0; i < n; ++i) {
    REQUIRE(inputs.input_rows[i] < num_rows_,
            "GruUserModel: input row " << inputs.input_rows[i] << " of user " << i / T << " step "
                                       << i % T << " outside the batch's " << num_rows_ << " rows");
  }

  const int32_t* input_rows = upload(backend_, input_rows_, inputs.input_rows, n);
  const uint8_t* has_input = upload(backend_, has_input_, inputs.has_input, n);

  // GRU input x [n, D] = E[input] (+ type vector); zero rows where the state holds.
  float* input = ensure_buffer<float>(backend_, input_, n * D);
  item_lookup_.table_rows = num_rows_;
  item_lookup_.forward(backend_, input, rows, input_rows, n);
  if (config_.interaction_type_embedding) {
    const int32_t* type = upload(backend_, interaction_type_index_, inputs.interaction_type, n);
    interaction_type_.forward(backend_, input, parameters_.values(interaction_type_table_), type,
                              n);
  }

  // output [B, T, H]: h_t after step t.
  float* output = ensure_buffer<float>(backend_, output_states_, n * H);
  if (n > 0) gru_.forward(backend_, output, input, has_input, gru_weights(), B, T);
}

const float* GruUserModel::encode(const SequenceInputs& inputs, const float* rows,
                                  const EncodeContext& context) {
  run_recurrence(inputs, rows);
  const int64_t B = batch_users_, T = max_steps_, n = B * T;
  const int64_t D = config_.dim, H = config_.hidden;

  // previous [B, T, H]: h_{t-1}, the state before step t (h_{-1} = 0), gathered from output by
  // the index b*T + t - 1 (-1 at t = 0 gives the zero row): one op, also on the device.
  if (previous_index_.numel() != n || previous_index_steps_ != T) {
    previous_index_steps_ = static_cast<int>(T);
    std::vector<int32_t> index(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) index[i] = i % T == 0 ? -1 : static_cast<int32_t>(i - 1);
    upload(backend_, previous_index_, index.data(), n);
  }
  float* previous = ensure_buffer<float>(backend_, previous_, n * H);
  const EmbeddingLookup shift{n, H};
  shift.forward(backend_, previous, output_states_.data<float>(), previous_index_.data<int32_t>(),
                n);

  // z_t = W_out h_{t-1}: user [n, D].
  float* user = ensure_buffer<float>(backend_, user_, n * D);
  output_.forward(backend_, user, previous, parameters_.values(output_weight_), nullptr, n);
  backward_ready_ = context.training;
  return user;
}

void GruUserModel::backward(float* drows, const float* duser) {
  REQUIRE(backward_ready_, "GruUserModel::backward without a training encode before it");
  backward_ready_ = false;
  const int64_t B = batch_users_, T = max_steps_, n = B * T;
  const int64_t D = config_.dim, H = config_.hidden;
  if (n == 0) return;

  // z = W_out h_{t-1}: dprevious [n, H], dW_out.
  float* dprevious = ensure_buffer<float>(backend_, dprevious_, n * H);
  output_.backward(backend_, dprevious, parameters_.gradients(output_weight_), nullptr, duser,
                   previous_.data<float>(), parameters_.values(output_weight_), n);

  // Undo the shift: doutput[b, t] = dprevious[b, t + 1]; the last state feeds nothing.
  float* doutput = ensure_buffer<float>(backend_, doutput_, n * H);
  backend_.zero(doutput, static_cast<size_t>(n * H) * sizeof(float));
  const EmbeddingLookup shift{n, H};
  shift.backward(backend_, doutput, dprevious, previous_index_.data<int32_t>(), n);

  float* dinput = ensure_buffer<float>(backend_, dinput_, n * D);
  gru_.backward(backend_, dinput, gru_gradients(), doutput, input_.data<float>(),
                has_input_.data<uint8_t>(), gru_weights(), output_states_.data<float>(), B, T);

  item_lookup_.backward(backend_, drows, dinput, input_rows_.data<int32_t>(), n);
  if (config_.interaction_type_embedding) {
    interaction_type_.backward(backend_, parameters_.gradients(interaction_type_table_), dinput,
                               interaction_type_index_.data<int32_t>(), n);
  }
}

void GruUserModel::user_vectors_after(float* user, const SequenceInputs& inputs, const float* rows,
                                      const int32_t* steps_seen) {
  const int64_t B = inputs.batch_users, T = inputs.max_steps;
  const int64_t D = config_.dim, H = config_.hidden;
  backward_ready_ = false;
  // Pick h_{steps_seen - 1} of every user out of the states [B*T, H] (index -1: h_{-1} = 0),
  // then z = W_out h.
  std::vector<int32_t> picked(static_cast<size_t>(B));
  bool any_history = false;
  for (int64_t b = 0; b < B; ++b) {
    REQUIRE(steps_seen[b] >= 0 && steps_seen[b] <= T,
            "GruUserModel::user_vectors_after: steps_seen " << steps_seen[b] << " of user " << b
                                                            << " outside 0.." << T);
    picked[b] = steps_seen[b] == 0 ? -1 : static_cast<int32_t>(b * T + steps_seen[b] - 1);
    any_history = any_history || steps_seen[b] > 0;
  }
  if (!any_history) {
    backend_.zero(user, static_cast<size_t>(B * D) * sizeof(float));
    return;
  }
  run_recurrence(inputs, rows);
  const int32_t* index = upload(backend_, picked_index_, picked.data(), B);
  float* state = ensure_buffer<float>(backend_, picked_state_, B * H);
  const EmbeddingLookup pick{B * T, H};
  pick.forward(backend_, state, output_states_.data<float>(), index, B);
  output_.forward(backend_, user, state, parameters_.values(output_weight_), nullptr, B);
}

}  // namespace slatetrain
