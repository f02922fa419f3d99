#include "models/gru_slate_model.hpp"

#include <cmath>
#include <vector>

#include "core/error.hpp"
#include "core/random.hpp"
#include "models/device_buffer.hpp"

namespace slatetrain {

GruSlateModel::GruSlateModel(Backend& backend, const GruSlateModelConfig& config)
    : backend_(backend),
      config_(config),
      item_lookup_{0, config.dim},
      interaction_type_(kInteractionTypeCount, config.dim),
      gru_(config.dim, config.hidden),
      output_{config.hidden, config.dim} {
  REQUIRE(config.dim > 0 && config.hidden > 0, "GruSlateModel: dim " << config.dim << " and hidden "
                                                                     << config.hidden
                                                                     << " must be positive");
  const int64_t D = config.dim, H = config.hidden;
  weight_ih_ = parameters_.add("gru.weight_ih", {3 * H, D});
  weight_hh_ = parameters_.add("gru.weight_hh", {3 * H, H});
  bias_ih_ = parameters_.add("gru.bias_ih", {3 * H});
  bias_hh_ = parameters_.add("gru.bias_hh", {3 * H});
  output_weight_ = parameters_.add("output.weight", {D, H});
  no_click_bias_ = parameters_.add("no_click_bias", {kNoClickBiasSize});
  if (config.interaction_type_embedding) {
    interaction_type_table_ =
        parameters_.add("interaction_type_embedding", {kInteractionTypeCount, D});
  }
  parameters_.allocate(backend);
}

void GruSlateModel::initialize(uint64_t seed) {
  Random random(seed);
  const double bound = 1.0 / std::sqrt(static_cast<double>(config_.hidden));
  for (const ParameterView& view : parameters_.views()) {
    std::vector<float> values(static_cast<size_t>(view.numel), 0.0f);
    if (view.name == "no_click_bias") {
      // zeros: no preference for no-click before training
    } else if (view.name == "interaction_type_embedding") {
      for (float& value : values) value = static_cast<float>(0.1 * random.normal());
    } else {
      for (float& value : values)
        value = static_cast<float>((2.0 * random.uniform() - 1.0) * bound);
    }
    parameters_.set_values(view.name, values);
  }
}

Gru::Weights GruSlateModel::gru_weights() const {
  return {parameters_.values(weight_ih_), parameters_.values(weight_hh_),
          parameters_.values(bias_ih_), parameters_.values(bias_hh_)};
}

Gru::Gradients GruSlateModel::gru_gradients() {
  return {parameters_.gradients(weight_ih_), parameters_.gradients(weight_hh_),
          parameters_.gradients(bias_ih_), parameters_.gradients(bias_hh_)};
}

void GruSlateModel::check_inputs(const ModelInputs& inputs) const {
  REQUIRE(inputs.batch_users >= 0 && inputs.max_steps > 0 && inputs.slate_slots > 0,
          "GruSlateModel: bad batch shape B=" << inputs.batch_users << " T=" << inputs.max_steps
                                              << " S=" << inputs.slate_slots);
  const int T = inputs.max_steps;
  for (int64_t i = 0; i < inputs.steps(); ++i) {
    const int32_t length = inputs.slate_length[i];
    REQUIRE(length >= 0 && length < kNoClickBiasSize,
            "GruSlateModel: slate_length " << length << " of user " << i / T << " step " << i % T
                                           << " has no no-click bias (0.." << kNoClickBiasSize - 1
                                           << ")");
    const int32_t type = inputs.interaction_type[i];
    REQUIRE(type >= 0 && type < kInteractionTypeCount,
            "GruSlateModel: interaction_type " << type << " of user " << i / T << " step " << i % T
                                               << " is not 0, 1 or 2");
    REQUIRE(inputs.click_rows[i] < inputs.num_rows && inputs.target[i] < inputs.slate_slots,
            "GruSlateModel: click row " << inputs.click_rows[i] << " or target " << inputs.target[i]
                                        << " of user " << i / T << " step " << i % T
                                        << " out of range");
  }
}

void GruSlateModel::run_sequence(const ModelInputs& inputs, const float* rows) {
  check_inputs(inputs);
  batch_users_ = inputs.batch_users;
  max_steps_ = inputs.max_steps;
  slate_slots_ = inputs.slate_slots;
  negatives_ = inputs.negatives;
  num_rows_ = inputs.num_rows;
  rows_ = rows;
  const int64_t B = batch_users_, T = max_steps_, n = B * T;
  const int64_t D = config_.dim, H = config_.hidden;

  const int32_t* click_rows = upload(backend_, click_rows_, inputs.click_rows, n);
  const uint8_t* advance = upload(backend_, advance_, inputs.advance, n);

  // GRU input x [n, D] = E[click] (+ type vector); zero rows where the state holds.
  float* input = ensure_buffer<float>(backend_, input_, n * D);
  item_lookup_.table_rows = num_rows_;
  item_lookup_.forward(backend_, input, rows, click_rows, n);
  if (config_.interaction_type_embedding) {
    const int32_t* type = upload(backend_, interaction_type_index_, inputs.interaction_type, n);
    interaction_type_.forward(backend_, input, parameters_.values(interaction_type_table_), type,
                              n);
  }

  // output [B, T, H]: h_t after step t.
  float* output = ensure_buffer<float>(backend_, output_states_, n * H);
  if (n > 0) gru_.forward(backend_, output, input, advance, gru_weights(), B, T);

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
  shift.forward(backend_, previous, output, previous_index_.data<int32_t>(), n);

  // z_t = W_out h_{t-1}: user [n, D].
  float* user = ensure_buffer<float>(backend_, user_, n * D);
  output_.forward(backend_, user, previous, parameters_.values(output_weight_), nullptr, n);
}

double GruSlateModel::run_slate_loss(const ModelInputs& inputs, const float* rows) {
  const int64_t n = inputs.steps(), S = inputs.slate_slots;
  // Steps outside the loss get target slot 0 (always scorable) and mask 0.
  std::vector<int32_t> target(static_cast<size_t>(n));
  std::vector<uint8_t> loss_step(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    loss_step[i] = inputs.target[i] >= 0;
    target[i] = loss_step[i] ? inputs.target[i] : 0;
  }
  upload(backend_, target_, target.data(), n);
  upload(backend_, slate_loss_step_, loss_step.data(), n);
  const int32_t* slate_rows = upload(backend_, slate_rows_, inputs.slate_rows, n * S);
  const int32_t* slate_length = upload(backend_, slate_length_, inputs.slate_length, n);

  float* scores = ensure_buffer<float>(backend_, scores_, n * S);
  const SlateScoring scoring{S, config_.dim, kNoClickBiasSize};
  scoring.forward(backend_, scores, user_.data<float>(), rows, slate_rows, slate_length,
                  parameters_.values(no_click_bias_), n, num_rows_);
  const SlateLoss loss{S};
  return loss.forward(backend_, nullptr, scores, target_.data<int32_t>(),
                      slate_loss_step_.data<uint8_t>(), n);
}

double GruSlateModel::run_sampled_softmax_loss(const ModelInputs& inputs, const float* rows) {
  const int64_t n = inputs.steps(), K = inputs.negatives;
  REQUIRE(K > 0 && inputs.negative_rows,
          "GruSlateModel: the sampled_softmax loss needs negatives (K = " << K << ")");
  std::vector<int32_t> positive(static_cast<size_t>(n));
  std::vector<uint8_t> loss_step(static_cast<size_t>(n));
  int64_t loss_steps = 0;
  for (int64_t i = 0; i < n; ++i) {
    loss_step[i] = inputs.positive_rows[i] >= 0;
    positive[i] = loss_step[i] ? inputs.positive_rows[i] : 0;
    loss_steps += loss_step[i];
  }
  upload(backend_, positive_, positive.data(), n);
  upload(backend_, sampled_loss_step_, loss_step.data(), n);
  upload(backend_, negative_, inputs.negative_rows, n * K);
  sampled_loss_steps_ = loss_steps;
  if (loss_steps == 0) return 0.0;  // no row to point the masked steps at may exist
  const SampledSoftmaxLoss loss{K, config_.dim};
  return loss.forward(backend_, nullptr, user_.data<float>(), rows, positive_.data<int32_t>(),
                      negative_.data<int32_t>(), sampled_loss_step_.data<uint8_t>(), n, num_rows_);
}

double GruSlateModel::forward(const ModelInputs& inputs, const float* rows) {
  run_sequence(inputs, rows);
  const double loss = config_.loss == LossKind::kSlate ? run_slate_loss(inputs, rows)
                                                       : run_sampled_softmax_loss(inputs, rows);
  backward_ready_ = true;
  return loss;
}

double GruSlateModel::slate_loss(const ModelInputs& inputs, const float* rows) {
  run_sequence(inputs, rows);
  backward_ready_ = false;
  return run_slate_loss(inputs, rows);
}

void GruSlateModel::backward(float* drows, float gradient_scale) {
  REQUIRE(backward_ready_, "GruSlateModel::backward without a training forward before it");
  backward_ready_ = false;
  const int64_t B = batch_users_, T = max_steps_, n = B * T, S = slate_slots_;
  const int64_t D = config_.dim, H = config_.hidden;
  backend_.zero(drows, static_cast<size_t>(num_rows_ * D) * sizeof(float));
  if (n == 0) return;

  // Loss -> duser [n, D] (and the rows' share of the scores / logits).
  float* duser = ensure_buffer<float>(backend_, duser_, n * D);
  if (config_.loss == LossKind::kSlate) {
    float* dscores = ensure_buffer<float>(backend_, dscores_, n * S);
    const SlateLoss loss{S};
    loss.backward(backend_, dscores, scores_.data<float>(), target_.data<int32_t>(),
                  slate_loss_step_.data<uint8_t>(), n, gradient_scale);
    const SlateScoring scoring{S, D, kNoClickBiasSize};
    scoring.backward(backend_, duser, drows, parameters_.gradients(no_click_bias_), dscores,
                     user_.data<float>(), rows_, slate_rows_.data<int32_t>(),
                     slate_length_.data<int32_t>(), n, num_rows_);
  } else {
    const SampledSoftmaxLoss loss{negatives_, D};
    backend_.zero(duser, static_cast<size_t>(n * D) * sizeof(float));
    if (sampled_loss_steps_ > 0)
      loss.backward(backend_, duser, drows, user_.data<float>(), rows_, positive_.data<int32_t>(),
                    negative_.data<int32_t>(), sampled_loss_step_.data<uint8_t>(), n, num_rows_,
                    gradient_scale);
  }

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
                advance_.data<uint8_t>(), gru_weights(), output_states_.data<float>(), B, T);

  item_lookup_.backward(backend_, drows, dinput, click_rows_.data<int32_t>(), n);
  if (config_.interaction_type_embedding) {
    interaction_type_.backward(backend_, parameters_.gradients(interaction_type_table_), dinput,
                               interaction_type_index_.data<int32_t>(), n);
  }
}

void GruSlateModel::user_vectors(float* user, const ModelInputs& inputs, const float* rows,
                                 int steps_seen) {
  REQUIRE(steps_seen >= 0 && steps_seen <= inputs.max_steps,
          "GruSlateModel::user_vectors: steps_seen " << steps_seen << " outside 0.."
                                                     << inputs.max_steps);
  const int64_t B = inputs.batch_users, T = inputs.max_steps;
  const int64_t D = config_.dim, H = config_.hidden;
  backward_ready_ = false;
  if (steps_seen == 0 || B == 0) {
    backend_.zero(user, static_cast<size_t>(B * D) * sizeof(float));
    return;
  }
  run_sequence(inputs, rows);
  // Pick h_{steps_seen - 1} of every user out of output [B*T, H], then z = W_out h.
  std::vector<int32_t> last_step(static_cast<size_t>(B));
  for (int64_t b = 0; b < B; ++b) last_step[b] = static_cast<int32_t>(b * T + steps_seen - 1);
  const int32_t* index = upload(backend_, last_step_index_, last_step.data(), B);
  float* state = ensure_buffer<float>(backend_, last_state_, B * H);
  const EmbeddingLookup pick{B * T, H};
  pick.forward(backend_, state, output_states_.data<float>(), index, B);
  output_.forward(backend_, user, state, parameters_.values(output_weight_), nullptr, B);
}

}  // namespace slatetrain
