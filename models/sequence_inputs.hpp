// SequenceInputs: what a user model reads for one batch (docs/MODELS.md, "The batch contract"):
// per step, the row of the step's input item in the batch's rows buffer (gathered by the
// sharded embedding), whether the step carries an input event at all, its interaction type,
// and per user the dataset row (the key of the user's dropout masks). Host pointers; built by
// build_model_batch (models/model_batch.hpp) from a SequenceBatch.
#pragma once

#include <cstdint>

namespace slatetrain {

// shapes: B users, T steps, U rows.
struct SequenceInputs {
  int batch_users = 0;   // B
  int max_steps = 0;     // T
  int64_t num_rows = 0;  // U
  // [B,T] 1: step t carries an input event (a click, or any real step with input_every_step):
  // the GRU advances there, the transformer attends to it. 0: the state holds.
  const uint8_t* has_input = nullptr;
  const int32_t* input_rows = nullptr;        // [B,T] row of the input item, -1 where no input
  const int32_t* interaction_type = nullptr;  // [B,T] in [0, interaction types)
  const int64_t* user_row = nullptr;          // [B] the user's row in the dataset, -1 padding

  int64_t steps() const { return int64_t{batch_users} * max_steps; }
};

// How a user model is run: training (dropout on, keyed by the step's seed) or evaluation.
struct EncodeContext {
  bool training = false;
  uint64_t dropout_seed = 0;  // varies per training step; masks also depend on user row and t
};

}  // namespace slatetrain
