// ModelBatch: the model's view of one loader batch, built on the host (on the batch
// preparer's thread in training): the unique item ids whose rows the batch needs, the user
// model's SequenceInputs, and what the objective prepared, all indexing one rows buffer.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "data/id_conventions.hpp"
#include "data/sequence_batch.hpp"
#include "models/objective.hpp"
#include "models/sequence_inputs.hpp"

namespace slatetrain {

struct SequenceInputOptions {
  IdConventions ids;
  // false: only clicks on items are input events (the GRU of Eide et al. advances on clicks);
  // true: every real step is one, a no-click step's input being the no-click id's row.
  bool input_every_step = false;
  int64_t interaction_types = 3;  // a step's type must lie in [0, interaction_types)
};

// shapes: B users, T steps, U = unique_ids.size()
struct ModelBatch {
  int batch_users = 0, max_steps = 0;
  std::vector<int64_t> unique_ids;            // [U] sorted: row r of the rows buffer is ids[r]
  std::vector<uint8_t> has_input;             // [B,T]
  std::vector<int32_t> input_rows;            // [B,T]
  std::vector<int32_t> interaction_type;      // [B,T]
  std::vector<int64_t> user_row;              // [B]
  std::unique_ptr<ObjectiveBatch> objective;  // nullptr when built without an objective

  SequenceInputs sequence_inputs() const;
  int64_t loss_steps() const { return objective ? objective->loss_steps : 0; }
};

// The user model's inputs of `batch` and, when objective is given, what it prepares with
// step_seed. Input events are taken from every step (the history before held-out steps is
// replayed in every phase); the objective's loss steps come from the batch's step_mask.
// Errors name the user's row and the step.
ModelBatch build_model_batch(const SequenceBatch& batch, const SequenceInputOptions& options,
                             const Objective* objective, uint64_t step_seed);

}  // namespace slatetrain
