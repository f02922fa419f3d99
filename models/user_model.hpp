// UserModel: turns a user's sequence of events into user vectors (docs/MODELS.md, "User
// models"). The vector for step t is the one that predicts step t: it may depend on the
// events of steps before t only (never on step t's own click). GruUserModel and
// TransformerUserModel implement it; models/user_model_factory.hpp makes one from
// `model.kind`.
//
// A user model declares its dense parameters in the model's flat ParameterBuffer (one
// allreduce, one checkpoint dataset, one optimizer loop) and reads item vectors only through
// the batch's rows buffer [U, D] (the sharded embedding gathers it) and the SequenceInputs'
// row indices; its backward returns the gradient of those rows for their owners.
#pragma once

#include <cstdint>
#include <string>

#include "models/sequence_inputs.hpp"

namespace slatetrain {

class UserModel {
 public:
  virtual ~UserModel() = default;

  // "gru", "transformer".
  virtual std::string kind() const = 0;
  // D: user vectors and item vectors.
  virtual int64_t dim() const = 0;
  // The longest window T it accepts (0: any).
  virtual int max_steps() const { return 0; }

  // Initial values of its parameters from `seed` (see each model for the distributions).
  virtual void initialize(uint64_t seed) = 0;

  // user [B*T, D] (device, owned by the model, valid until the next encode): the vector for
  // every step. rows [U, D] (device) must stay unchanged until backward.
  virtual const float* encode(const SequenceInputs& inputs, const float* rows,
                              const EncodeContext& context) = 0;
  // After a training encode: drows [U, D] and the parameter gradients accumulate the
  // gradients of the loss whose gradient with respect to the user vectors is duser [B*T, D].
  virtual void backward(float* drows, const float* duser) = 0;

  // Evaluation: user [B, D] (device, overwrite) is the vector after each user's first
  // steps_seen[b] steps, i.e. the one that predicts step steps_seen[b] (host array [B];
  // 0 gives the vector of a user with no history).
  virtual void user_vectors_after(float* user, const SequenceInputs& inputs, const float* rows,
                                  const int32_t* steps_seen) = 0;
};

}  // namespace slatetrain
