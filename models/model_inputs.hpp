// What the slate models read for one batch: index arrays into a dense buffer of the unique
// item rows the batch needs (gathered by the sharded embedding), never item ids. Built on the
// host from a data/sequence_batch.hpp SequenceBatch by build_model_batch().
#pragma once

#include <cstdint>
#include <vector>

#include "data/sequence_batch.hpp"

namespace slatetrain {

// shapes: B users, T steps, S slate slots, K negatives, U unique rows. Host pointers.
struct ModelInputs {
  int batch_users = 0;   // B
  int max_steps = 0;     // T
  int slate_slots = 0;   // S
  int negatives = 0;     // K (0: no sampled softmax inputs)
  int64_t num_rows = 0;  // U
  // [B,T,S] row of slate item s, -1 masked (ids <= 2, padding, steps outside the loss).
  // Slot 0 is the no-click option: it is scored by the no-click bias, its row is ignored.
  const int32_t* slate_rows = nullptr;
  const int32_t* click_rows = nullptr;        // [B,T] row of the GRU input item, -1 none
  const uint8_t* advance = nullptr;           // [B,T] 1: the GRU state advances at step t
  const int32_t* target = nullptr;            // [B,T] slate loss: clicked slot, -1 no loss
  const int32_t* positive_rows = nullptr;     // [B,T] sampled softmax: clicked row, -1 no loss
  const int32_t* negative_rows = nullptr;     // [B,T,K] sampled negatives' rows
  const int32_t* slate_length = nullptr;      // [B,T] selects the no-click bias (0..26)
  const int32_t* interaction_type = nullptr;  // [B,T] 0 unknown, 1 search, 2 rec

  int64_t steps() const { return int64_t{batch_users} * max_steps; }
};

// The training losses of DESIGN.md section 5.
enum class LossKind { kSlate, kSampledSoftmax };

struct ModelBatchOptions {
  bool update_every_step = false;  // advance on every real step (click != 0), not clicks only
  int negatives = 0;               // K sampled negatives per loss step (sampled_softmax)
};

// A ModelInputs with its own storage, plus the ids whose rows it needs.
// shapes as ModelInputs; U = unique_ids.size()
struct ModelBatch {
  int batch_users = 0, max_steps = 0, slate_slots = 0, negatives = 0;
  std::vector<int64_t> unique_ids;  // [U] sorted item ids: row r of the rows buffer is item ids[r]
  std::vector<int32_t> slate_rows;  // [B,T,S]
  std::vector<int32_t> click_rows, target, positive_rows;  // [B,T]
  std::vector<int32_t> negative_rows;                      // [B,T,K]
  std::vector<uint8_t> advance;                            // [B,T]
  std::vector<int32_t> slate_length, interaction_type;     // [B,T]
  int64_t slate_loss_steps = 0;                            // steps with target >= 0
  int64_t sampled_loss_steps = 0;                          // steps with positive_rows >= 0

  ModelInputs inputs() const;
  // The loss steps of this batch for `loss` (the trainer sums them over ranks to normalise).
  int64_t loss_steps(LossKind loss) const {
    return loss == LossKind::kSlate ? slate_loss_steps : sampled_loss_steps;
  }
};

// Builds the model's view of `batch`. Loss steps are the batch's step_mask steps (its phase):
//  - slate loss: the click is a choice within the slate: click != 0, slate[click_idx] == click,
//    and the slot is scorable (slot 0, or an item id >= 3). Published anomalies (the clicked
//    item elsewhere) still advance the state but are not loss steps.
//  - sampled softmax: steps with a real click (id >= 3).
// The GRU advances on clicks >= 3 (every real step with update_every_step) in every phase, so
// the history before held-out steps is replayed. Slates are only fetched for loss steps.
// negative_ids: [B,T,K] item ids (>= 3), read at sampled softmax loss steps; required when
// options.negatives > 0.
ModelBatch build_model_batch(const SequenceBatch& batch, const ModelBatchOptions& options,
                             const std::vector<int32_t>* negative_ids = nullptr);

// K negatives per step, uniform over item ids [3, num_items), from a counter-based hash of
// (seed, user_row, step): the same user draws the same negatives whatever the rank split.
// Returns [B,T,K] ids; padding users get 0. Vary `seed` per training step.
std::vector<int32_t> draw_negatives(const SequenceBatch& batch, int negatives, int64_t num_items,
                                    uint64_t seed);

}  // namespace slatetrain
