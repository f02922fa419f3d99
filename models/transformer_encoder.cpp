#include "models/transformer_encoder.hpp"

#include <cmath>
#include <utility>

#include "core/error.hpp"
#include "core/random.hpp"
#include "models/device_buffer.hpp"

namespace slatetrain {

namespace {

// Carves aligned float arrays out of one buffer; with a null base it only counts, so the
// same code sizes the workspace and then lays it out.
class WorkspaceCarver {
 public:
  explicit WorkspaceCarver(float* base) : base_(base) {}
  float* take(int64_t floats) {
    float* part = base_ ? base_ + used_ : nullptr;
    used_ += (floats + kAlign - 1) / kAlign * kAlign;
    return part;
  }
  int64_t used() const { return used_; }

 private:
  static constexpr int64_t kAlign = 16;  // 64 bytes
  float* base_;
  int64_t used_ = 0;
};

}  // namespace

void TransformerEncoderConfig::validate() const {
  REQUIRE(dim > 0, "model.dim = " << dim << " must be positive");
  REQUIRE(heads > 0, "model.heads = " << heads << " must be positive");
  REQUIRE(dim % heads == 0, "model.heads = " << heads << " does not divide model.dim = " << dim);
  REQUIRE(layers > 0, "model.layers = " << layers << " must be positive");
  REQUIRE(ffn > 0, "model.ffn = " << ffn << " must be positive");
  REQUIRE(dropout >= 0.0f && dropout < 1.0f, "model.dropout = " << dropout << " outside [0, 1)");
  REQUIRE(attention_dropout >= 0.0f && attention_dropout < 1.0f,
          "model.attention_dropout = " << attention_dropout << " outside [0, 1)");
  REQUIRE(layer_norm_epsilon > 0.0f && std::isfinite(layer_norm_epsilon),
          "model.layer_norm_epsilon = " << layer_norm_epsilon << " must be positive");
}

TransformerEncoder::TransformerEncoder(const TransformerEncoderConfig& config,
                                       ParameterBuffer& parameters, std::string prefix)
    : config_(config), parameters_(parameters), prefix_(std::move(prefix)) {
  config_.validate();
  const int64_t D = config_.dim, F = config_.ffn;
  auto add = [&](const std::string& name, std::vector<int64_t> shape) {
    return parameters_.add(prefix_ + "." + name, std::move(shape));
  };
  for (int64_t l = 0; l < config_.layers; ++l) {
    const std::string block = "blocks." + std::to_string(l) + ".";
    BlockParameters p;
    p.layer_norm1_weight = add(block + "layer_norm1.weight", {D});
    p.layer_norm1_bias = add(block + "layer_norm1.bias", {D});
    p.in_projection_weight = add(block + "attention.in_projection.weight", {3 * D, D});
    p.in_projection_bias = add(block + "attention.in_projection.bias", {3 * D});
    p.out_projection_weight = add(block + "attention.out_projection.weight", {D, D});
    p.out_projection_bias = add(block + "attention.out_projection.bias", {D});
    p.layer_norm2_weight = add(block + "layer_norm2.weight", {D});
    p.layer_norm2_bias = add(block + "layer_norm2.bias", {D});
    p.feed_forward_in_weight = add(block + "feed_forward.in_projection.weight", {F, D});
    p.feed_forward_in_bias = add(block + "feed_forward.in_projection.bias", {F});
    p.feed_forward_out_weight = add(block + "feed_forward.out_projection.weight", {D, F});
    p.feed_forward_out_bias = add(block + "feed_forward.out_projection.bias", {D});
    blocks_.push_back(p);
  }
  final_weight_ = add("final_layer_norm.weight", {D});
  final_bias_ = add("final_layer_norm.bias", {D});

  layer_norm_ = LayerNorm{D, config_.layer_norm_epsilon};
  attention_ = CausalSelfAttention{D, config_.heads};
  feed_forward_ = FeedForward{D, F};
  residual_dropout_ = Dropout{config_.dropout};
  attention_dropout_ = Dropout{config_.attention_dropout};
}

void TransformerEncoder::initialize(uint64_t seed) {
  Random random(seed);
  const double D = static_cast<double>(config_.dim), F = static_cast<double>(config_.ffn);
  auto fill = [&](int index, double bound, double constant = 0.0) {
    const ParameterView& view = parameters_.views()[static_cast<size_t>(index)];
    std::vector<float> values(static_cast<size_t>(view.numel), static_cast<float>(constant));
    if (bound > 0.0)
      for (float& value : values)
        value = static_cast<float>((2.0 * random.uniform() - 1.0) * bound);
    parameters_.set_values(view.name, values);
  };
  for (const BlockParameters& p : blocks_) {
    fill(p.layer_norm1_weight, 0.0, 1.0);
    fill(p.layer_norm1_bias, 0.0);
    fill(p.in_projection_weight, std::sqrt(6.0 / (D + 3.0 * D)));
    fill(p.in_projection_bias, 0.0);
    fill(p.out_projection_weight, 1.0 / std::sqrt(D));
    fill(p.out_projection_bias, 0.0);
    fill(p.layer_norm2_weight, 0.0, 1.0);
    fill(p.layer_norm2_bias, 0.0);
    fill(p.feed_forward_in_weight, 1.0 / std::sqrt(D));
    fill(p.feed_forward_in_bias, 1.0 / std::sqrt(D));
    fill(p.feed_forward_out_weight, 1.0 / std::sqrt(F));
    fill(p.feed_forward_out_bias, 1.0 / std::sqrt(F));
  }
  fill(final_weight_, 0.0, 1.0);
  fill(final_bias_, 0.0);
}

CausalSelfAttention::Weights TransformerEncoder::attention_weights(
    const BlockParameters& block) const {
  const ParameterBuffer& p = parameters_;
  return {p.values(block.in_projection_weight), p.values(block.in_projection_bias),
          p.values(block.out_projection_weight), p.values(block.out_projection_bias)};
}

CausalSelfAttention::Gradients TransformerEncoder::attention_gradients(
    const BlockParameters& block) {
  ParameterBuffer& p = parameters_;
  return {p.gradients(block.in_projection_weight), p.gradients(block.in_projection_bias),
          p.gradients(block.out_projection_weight), p.gradients(block.out_projection_bias)};
}

FeedForward::Weights TransformerEncoder::feed_forward_weights(const BlockParameters& block) const {
  const ParameterBuffer& p = parameters_;
  return {p.values(block.feed_forward_in_weight), p.values(block.feed_forward_in_bias),
          p.values(block.feed_forward_out_weight), p.values(block.feed_forward_out_bias)};
}

FeedForward::Gradients TransformerEncoder::feed_forward_gradients(const BlockParameters& block) {
  ParameterBuffer& p = parameters_;
  return {p.gradients(block.feed_forward_in_weight), p.gradients(block.feed_forward_in_bias),
          p.gradients(block.feed_forward_out_weight), p.gradients(block.feed_forward_out_bias)};
}

DropoutMask TransformerEncoder::dropout_mask(int64_t block, DropoutSite site) const {
  const Dropout& dropout = site == kAttentionProbabilities ? attention_dropout_ : residual_dropout_;
  const uint64_t site_seed = hash_mix(seed_, static_cast<uint64_t>(block), site);
  const auto* keys =
      reinterpret_cast<const uint64_t*>(row_keys_.empty() ? nullptr : row_keys_.data<int64_t>());
  return dropout.mask(training_, site_seed, keys);
}

void TransformerEncoder::lay_out_workspace(Backend& backend, int64_t batch, int64_t steps) {
  const int64_t n = batch * steps, D = config_.dim, F = config_.ffn;
  const int64_t pairs = batch * config_.heads * steps * steps;
  auto carve_activations = [&](WorkspaceCarver& carver) {
    block_activations_.assign(blocks_.size(), BlockActivations{});
    for (BlockActivations& a : block_activations_) {
      a.input = carver.take(n * D);
      a.normed1 = carver.take(n * D);
      a.mean1 = carver.take(n);
      a.rstd1 = carver.take(n);
      a.qkv = carver.take(n * 3 * D);
      a.attended = carver.take(n * D);
      a.probabilities = carver.take(pairs);
      a.middle = carver.take(n * D);
      a.normed2 = carver.take(n * D);
      a.mean2 = carver.take(n);
      a.rstd2 = carver.take(n);
      a.pre_activation = carver.take(n * F);
      a.hidden = carver.take(n * F);
    }
    final_input_ = carver.take(n * D);
    final_mean_ = carver.take(n);
    final_rstd_ = carver.take(n);
  };
  auto carve_scratch = [&](WorkspaceCarver& carver) {
    scratch_parts_.branch = carver.take(n * D);
    scratch_parts_.branch_gradient = carver.take(n * D);
    scratch_parts_.normed_gradient = carver.take(n * D);
    scratch_parts_.dattended = carver.take(n * D);
    scratch_parts_.dqkv = carver.take(n * 3 * D);
    scratch_parts_.dhidden = carver.take(n * F);
    scratch_parts_.attention = carver.take(pairs);
    scratch_parts_.dbias = carver.take(3 * D);
  };
  WorkspaceCarver activation_size(nullptr), scratch_size(nullptr);
  carve_activations(activation_size);
  carve_scratch(scratch_size);
  WorkspaceCarver activations(ensure_buffer<float>(backend, activations_, activation_size.used()));
  WorkspaceCarver scratch(ensure_buffer<float>(backend, scratch_, scratch_size.used()));
  carve_activations(activations);
  carve_scratch(scratch);
}

void TransformerEncoder::forward(Backend& backend, float* out, const float* x,
                                 const uint8_t* key_mask, int64_t batch, int64_t steps,
                                 const DropoutContext& dropout) {
  REQUIRE(batch >= 0 && steps >= 0,
          "TransformerEncoder::forward: bad batch " << batch << " x " << steps << " steps");
  REQUIRE(out != x, "TransformerEncoder::forward: out must not be x");
  const int64_t n = batch * steps, D = config_.dim;
  backward_ready_ = false;
  batch_ = batch;
  steps_ = steps;
  training_ = dropout.training;
  seed_ = dropout.seed;
  const bool any_dropout =
      dropout.training && (config_.dropout > 0.0f || config_.attention_dropout > 0.0f);
  if (any_dropout && n > 0) {
    REQUIRE(dropout.row_keys != nullptr,
            "TransformerEncoder::forward: training with dropout needs row keys");
    upload<int64_t>(backend, row_keys_, reinterpret_cast<const int64_t*>(dropout.row_keys), n);
  } else {
    row_keys_ = Tensor();
  }
  lay_out_workspace(backend, batch, steps);
  if (n == 0) {
    backward_ready_ = true;
    return;
  }
  const Scratch& s = scratch_parts_;
  const size_t row_bytes = static_cast<size_t>(n * D) * sizeof(float);
  backend.copy_on_device(block_activations_.front().input, x, row_bytes);
  for (size_t l = 0; l < blocks_.size(); ++l) {
    const BlockParameters& p = blocks_[l];
    const BlockActivations& a = block_activations_[l];
    const int64_t block = static_cast<int64_t>(l);
    float* next = l + 1 < blocks_.size() ? block_activations_[l + 1].input : final_input_;
    // x = x + dropout(attention(layer_norm1(x)))
    layer_norm_.forward(backend, a.normed1, a.mean1, a.rstd1, a.input,
                        parameters_.values(p.layer_norm1_weight),
                        parameters_.values(p.layer_norm1_bias), n);
    attention_.forward(backend, s.branch, {a.qkv, a.attended, a.probabilities},
                       {s.attention, s.dattended, s.dqkv, s.dbias}, a.normed1, key_mask,
                       attention_weights(p), batch, steps,
                       dropout_mask(block, kAttentionProbabilities));
    residual_dropout_.forward(backend, s.branch, s.branch, n, D,
                              dropout_mask(block, kAttentionOutput));
    backend.copy_on_device(a.middle, a.input, row_bytes);
    backend.axpy(a.middle, s.branch, n * D, 1.0f);
    // x = x + dropout(feed_forward(layer_norm2(x)))
    layer_norm_.forward(backend, a.normed2, a.mean2, a.rstd2, a.middle,
                        parameters_.values(p.layer_norm2_weight),
                        parameters_.values(p.layer_norm2_bias), n);
    feed_forward_.forward(backend, s.branch, {a.pre_activation, a.hidden}, a.normed2,
                          feed_forward_weights(p), n, dropout_mask(block, kFeedForwardHidden));
    residual_dropout_.forward(backend, s.branch, s.branch, n, D,
                              dropout_mask(block, kFeedForwardOutput));
    backend.copy_on_device(next, a.middle, row_bytes);
    backend.axpy(next, s.branch, n * D, 1.0f);
  }
  layer_norm_.forward(backend, out, final_mean_, final_rstd_, final_input_,
                      parameters_.values(final_weight_), parameters_.values(final_bias_), n);
  backward_ready_ = true;
}

void TransformerEncoder::backward(Backend& backend, float* dx, const float* dout) {
  REQUIRE(backward_ready_, "TransformerEncoder::backward: no forward to match");
  REQUIRE(dx != dout, "TransformerEncoder::backward: dx must not be dout");
  backward_ready_ = false;
  const int64_t batch = batch_, steps = steps_, n = batch * steps, D = config_.dim;
  if (n == 0) return;
  const Scratch& s = scratch_parts_;
  // dx carries the gradient of the residual stream from the top down.
  layer_norm_.backward(backend, dx, parameters_.gradients(final_weight_),
                       parameters_.gradients(final_bias_), dout, final_input_,
                       parameters_.values(final_weight_), final_mean_, final_rstd_, n);
  for (size_t l = blocks_.size(); l-- > 0;) {
    const BlockParameters& p = blocks_[l];
    const BlockActivations& a = block_activations_[l];
    const int64_t block = static_cast<int64_t>(l);
    // Feed-forward branch: d middle = d next + layer_norm2'(feed_forward'(dropout'(d next))).
    residual_dropout_.backward(backend, s.branch_gradient, dx, n, D,
                               dropout_mask(block, kFeedForwardOutput));
    feed_forward_.backward(backend, s.normed_gradient, feed_forward_gradients(p), s.dhidden,
                           s.branch_gradient, a.normed2, {a.pre_activation, a.hidden},
                           feed_forward_weights(p), n, dropout_mask(block, kFeedForwardHidden));
    layer_norm_.backward(backend, s.branch_gradient, parameters_.gradients(p.layer_norm2_weight),
                         parameters_.gradients(p.layer_norm2_bias), s.normed_gradient, a.middle,
                         parameters_.values(p.layer_norm2_weight), a.mean2, a.rstd2, n);
    backend.axpy(dx, s.branch_gradient, n * D, 1.0f);
    // Attention branch: d input = d middle + layer_norm1'(attention'(dropout'(d middle))).
    residual_dropout_.backward(backend, s.branch_gradient, dx, n, D,
                               dropout_mask(block, kAttentionOutput));
    attention_.backward(backend, s.normed_gradient, attention_gradients(p),
                        {s.attention, s.dattended, s.dqkv, s.dbias}, s.branch_gradient, a.normed1,
                        {a.qkv, a.attended, a.probabilities}, attention_weights(p), batch, steps,
                        dropout_mask(block, kAttentionProbabilities));
    layer_norm_.backward(backend, s.branch_gradient, parameters_.gradients(p.layer_norm1_weight),
                         parameters_.gradients(p.layer_norm1_bias), s.normed_gradient, a.input,
                         parameters_.values(p.layer_norm1_weight), a.mean1, a.rstd1, n);
    backend.axpy(dx, s.branch_gradient, n * D, 1.0f);
  }
}

}  // namespace slatetrain
