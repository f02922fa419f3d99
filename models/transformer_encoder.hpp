// TransformerEncoder: a stack of pre-norm transformer blocks over [B, T, D] sequences with
// causal self-attention, then a final layer norm (SASRec-style user sequences):
//   for each block:  x = x + dropout(attention(layer_norm1(x)))
//                    x = x + dropout(feed_forward(layer_norm2(x)))
//   out = final_layer_norm(x)
// key_mask[b, t] = 1 marks a step that carries an input event: only those steps are attended
// to, and only at or before the query's step (core/ops/attention_ops.hpp).
//
// Parameters live in the caller's ParameterBuffer under `prefix` (shapes, PyTorch layouts):
//   {prefix}.blocks.{l}.layer_norm1.weight [D], .bias [D]
//   {prefix}.blocks.{l}.attention.in_projection.weight [3D, D], .bias [3D]   (q | k | v)
//   {prefix}.blocks.{l}.attention.out_projection.weight [D, D], .bias [D]
//   {prefix}.blocks.{l}.layer_norm2.weight [D], .bias [D]
//   {prefix}.blocks.{l}.feed_forward.in_projection.weight [F, D], .bias [F]
//   {prefix}.blocks.{l}.feed_forward.out_projection.weight [D, F], .bias [D]
//   {prefix}.final_layer_norm.weight [D], .bias [D]
// Their gradients accumulate in the buffer's gradients. Activations are kept between forward
// and backward in one workspace (llm.c style), so one backward follows each forward.
//
// Dropout (training only): four sites per block, each with its own seed
// hash_mix(context.seed, block, site), site 0 the attention probabilities (probability
// attention_dropout), 1 the attention branch's output, 2 the feed-forward hidden activations,
// 3 the feed-forward branch's output (probability dropout). Rows of every site are the B T
// steps, keyed by the caller's row keys; core/ops/dropout_ops.hpp and attention_ops.hpp say
// which element a key and seed drop.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/backend.hpp"
#include "core/tensor.hpp"
#include "models/causal_self_attention.hpp"
#include "models/dropout.hpp"
#include "models/feed_forward.hpp"
#include "models/layer_norm.hpp"
#include "models/parameter_buffer.hpp"

namespace slatetrain {

struct TransformerEncoderConfig {
  int64_t dim = 64;                  // D (model.dim)
  int64_t heads = 2;                 // H, D % H == 0 (model.heads)
  int64_t layers = 2;                // blocks (model.layers)
  int64_t ffn = 256;                 // F, the feed-forward's hidden size (model.ffn)
  float dropout = 0.2f;              // residual branches and feed-forward hidden (model.dropout)
  float attention_dropout = 0.2f;    // attention probabilities (model.attention_dropout)
  float layer_norm_epsilon = 1e-5f;  // model.layer_norm_epsilon

  // Throws Error naming the configuration key of the first bad value, e.g.
  // "model.heads = 3 does not divide model.dim = 64".
  void validate() const;
};

// Dropout of one forward/backward pair.
struct DropoutContext {
  bool training = false;  // false: no dropout at all (evaluation)
  // Vary it per training step (e.g. hash_mix(run seed, step)): the masks are a function of
  // (seed, row key) only.
  uint64_t seed = 0;
  // [B T] on the HOST, one key per (user, step), e.g. hash_mix(user row in the dataset, t),
  // so a step's masks do not depend on the batch composition or the world size. May be
  // nullptr when !training or both probabilities are 0.
  const uint64_t* row_keys = nullptr;
};

class TransformerEncoder {
 public:
  // Declares the parameters in `parameters` (before its allocate()); the buffer must outlive
  // the encoder. Validates the config.
  TransformerEncoder(const TransformerEncoderConfig& config, ParameterBuffer& parameters,
                     std::string prefix);
  TransformerEncoder(const TransformerEncoder&) = delete;
  TransformerEncoder& operator=(const TransformerEncoder&) = delete;

  const TransformerEncoderConfig& config() const { return config_; }
  const std::string& prefix() const { return prefix_; }

  // Initial values as PyTorch gives its modules (after parameters.allocate()), drawn from
  // Random(seed) in declaration order:
  //   layer norms: weight 1, bias 0 (torch.nn.LayerNorm);
  //   attention in-projection: weight xavier_uniform over [3D, D], i.e. U(+-sqrt(6 / 4D)),
  //     bias 0; out-projection: weight U(+-1/sqrt(D)) (nn.Linear's kaiming_uniform(a=sqrt 5)),
  //     bias 0 (torch.nn.MultiheadAttention._reset_parameters);
  //   feed-forward projections: weight and bias U(+-1/sqrt(fan_in)) (torch.nn.Linear).
  void initialize(uint64_t seed);

  // out = the encoder of x. Pointers on the backend's device except dropout.row_keys (host).
  // shapes: out [B, T, D] (overwrite; not x); x [B, T, D]; key_mask [B, T] (uint8).
  void forward(Backend& backend, float* out, const float* x, const uint8_t* key_mask, int64_t batch,
               int64_t steps, const DropoutContext& dropout);
  // After forward: dx [B, T, D] (overwrite; not dout) and the parameter gradients
  // (accumulate) for the upstream gradient dout [B, T, D].
  void backward(Backend& backend, float* dx, const float* dout);

 private:
  struct BlockParameters {  // indices into the ParameterBuffer
    int layer_norm1_weight, layer_norm1_bias;
    int in_projection_weight, in_projection_bias, out_projection_weight, out_projection_bias;
    int layer_norm2_weight, layer_norm2_bias;
    int feed_forward_in_weight, feed_forward_in_bias, feed_forward_out_weight,
        feed_forward_out_bias;
  };
  // One block's slice of the activation workspace, written by forward.
  struct BlockActivations {
    float* input;           // [n, D]: the residual stream entering the block
    float* normed1;         // [n, D]
    float* mean1;           // [n]
    float* rstd1;           // [n]
    float* qkv;             // [n, 3D]
    float* attended;        // [n, D]
    float* probabilities;   // [B, H, T, T]
    float* middle;          // [n, D]: the stream after the attention branch
    float* normed2;         // [n, D]
    float* mean2;           // [n]
    float* rstd2;           // [n]
    float* pre_activation;  // [n, F]
    float* hidden;          // [n, F]
  };
  // Scratch of either pass.
  struct Scratch {
    float* branch;           // [n, D]
    float* branch_gradient;  // [n, D]
    float* normed_gradient;  // [n, D]
    float* dattended;        // [n, D]
    float* dqkv;             // [n, 3D]
    float* dhidden;          // [n, F]
    float* attention;        // [B, H, T, T]
    float* dbias;            // [3D]
  };

  enum DropoutSite : uint64_t {
    kAttentionProbabilities = 0,
    kAttentionOutput = 1,
    kFeedForwardHidden = 2,
    kFeedForwardOutput = 3,
  };

  void lay_out_workspace(Backend& backend, int64_t batch, int64_t steps);
  DropoutMask dropout_mask(int64_t block, DropoutSite site) const;
  CausalSelfAttention::Weights attention_weights(const BlockParameters& block) const;
  CausalSelfAttention::Gradients attention_gradients(const BlockParameters& block);
  FeedForward::Weights feed_forward_weights(const BlockParameters& block) const;
  FeedForward::Gradients feed_forward_gradients(const BlockParameters& block);

  TransformerEncoderConfig config_;
  ParameterBuffer& parameters_;
  std::string prefix_;
  std::vector<BlockParameters> blocks_;
  int final_weight_ = -1, final_bias_ = -1;

  LayerNorm layer_norm_;
  CausalSelfAttention attention_;
  FeedForward feed_forward_;
  Dropout residual_dropout_, attention_dropout_;

  // The last forward's batch, for backward.
  int64_t batch_ = 0, steps_ = 0;
  bool backward_ready_ = false;
  bool training_ = false;
  uint64_t seed_ = 0;
  Tensor row_keys_;  // [B T] (int64 storage of the uint64 keys), device
  Tensor activations_, scratch_;
  std::vector<BlockActivations> block_activations_;
  float* final_input_ = nullptr;  // [n, D]
  float* final_mean_ = nullptr;   // [n]
  float* final_rstd_ = nullptr;   // [n]
  Scratch scratch_parts_{};
};

}  // namespace slatetrain
