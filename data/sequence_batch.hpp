// SequenceBatch: the padded batch the loader hands to the trainer, the user models and the
// objectives (docs/MODELS.md, "The batch contract"; the windows in docs/FORMAT.md, "Protocols").
// B users, each with a window of T steps of their history; each step is one event (the item
// the user clicked or interacted with, or a convention id such as no-click), optionally with
// the slate of S items shown at that step. Under the users protocol steps sit at their index t
// (for FINN data the window is the whole source row, t = the source's step index); under
// leave-one-out the window's events sit at t = 0.. (left-aligned). What is not a step stays 0
// (the pad id).
//
// Nothing here is FINN-specific: id conventions (pad, no-click, unknown, first item) come from
// the dataset's manifest (data/id_conventions.hpp), and the slate fields are empty for
// datasets without slates (slate_slots = 0).
#pragma once

#include <cstdint>
#include <vector>

namespace slatetrain {

// Which steps a batch's step_mask selects, by the manifest's protocol (data/protocol.hpp):
// users (data/split.hpp):
//   kTrain: is_training_step(split, t, t_testsplit), every user;
//   kValid / kTest: is_held_out_step(split, t, t_testsplit), validation / test users only
//   (their whole rows are delivered, since the model needs the history).
// leave-one-out (a user's events in time order e_0..e_{n-1}):
//   kTrain: every step of the window (the last T of e_0..e_{n-3}; all events when n < 3),
//   every user;
//   kValid / kTest: only the window's last step, e_{n-2} / e_{n-1} (the window ends there),
//   users with n >= 3 only.
// In every phase a step counts only if it is real (item != pad).
enum class LoaderPhase { kTrain, kValid, kTest };

const char* loader_phase_name(LoaderPhase phase);

// shapes: B = batch_users, T = max_steps, S = slate_slots (0 without slates)
struct SequenceBatch {
  int64_t batch_users = 0;        // B
  int64_t valid_users = 0;        // rows >= valid_users are padding (all arrays 0, masks 0)
  int max_steps = 0;              // T
  int slate_slots = 0;            // S; 0: the dataset has no slates, the slate arrays are empty
  std::vector<int64_t> user_row;  // [B] the user's row in the dataset, -1 for padding
  std::vector<uint8_t> split;     // [B] 0 train, 1 valid, 2 test (0 for padding)
  // [B,T] the step's event: an item id (>= ids.first_item), or a convention id (pad: no step,
  // no_click: the user chose nothing from the slate, unknown).
  std::vector<int32_t> item;
  std::vector<uint8_t> interaction_type;  // [B,T] the dataset's interaction type (0 unknown)
  std::vector<uint8_t> step_mask;         // [B,T] 1: the step counts in this batch's phase
  // Slates (empty when slate_slots = 0):
  std::vector<int32_t> slate;         // [B,T,S] item ids shown, position 0 the no-click option
  std::vector<uint8_t> click_idx;     // [B,T] the chosen slate position, 0 for no click
  std::vector<uint8_t> slate_length;  // [B,T] the slate's length as stored (may exceed S)
  // Leave-one-out validation and test only ([B+1] there, empty otherwise, and empty means
  // nothing earlier for every user): the items of user b's events before the window, in time
  // order, are earlier_items[earlier_offsets[b] .. earlier_offsets[b+1]) (an empty range when
  // the window starts at the user's first event, and for padding rows).
  std::vector<int64_t> earlier_offsets;  // [B+1]
  std::vector<int32_t> earlier_items;    // items of each user's events before the window
  int64_t masked_steps = 0;              // steps with step_mask 1
  int64_t real_steps = 0;                // steps with item != pad (the interactions decoded)

  bool has_slates() const { return slate_slots > 0; }
  // Index of (user b, step t) in the [B,T] arrays and of its first slot in `slate`.
  int64_t step_index(int64_t b, int t) const { return b * max_steps + t; }
  int64_t slot_index(int64_t b, int t, int s) const {
    return (b * max_steps + t) * slate_slots + s;
  }
};

}  // namespace slatetrain
