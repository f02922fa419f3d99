// The padded batch the loader hands to the trainer and the models: B users, each with the
// max_steps (T) steps of their source row and each step's slate padded to slate_slots (S).
// Steps sit at their original index t (from /steps/t); what was not stored stays 0.
#pragma once

#include <cstdint>
#include <vector>

namespace slatetrain {

// Which steps a batch's step_mask selects (data/split.hpp):
//   kTrain: is_training_step(split, t, t_testsplit), every user;
//   kValid / kTest: is_held_out_step(split, t, t_testsplit), validation / test users only
//   (their whole rows are delivered, since the model needs the history).
// In every phase a step counts only if it is real (click != 0).
enum class LoaderPhase { kTrain, kValid, kTest };

const char* loader_phase_name(LoaderPhase phase);

// shapes: B = batch_users, T = max_steps (20), S = slate_slots (25)
struct SlateBatch {
  int64_t batch_users = 0;                // B
  int64_t valid_users = 0;                // rows >= valid_users are padding (all arrays 0, masks 0)
  int max_steps = 20;                     // T
  int slate_slots = 25;                   // S
  std::vector<int64_t> user_row;          // [B] the user's row in the source arrays, -1 for padding
  std::vector<uint8_t> split;             // [B] 0 train, 1 valid, 2 test (0 for padding)
  std::vector<int32_t> slate;             // [B,T,S] item ids, 0 where padded
  std::vector<int32_t> click;             // [B,T] 0 padded step, 1 no click, 2 unknown, >= 3 item
  std::vector<uint8_t> click_idx;         // [B,T] clicked slate position, 0 for no click
  std::vector<uint8_t> slate_length;      // [B,T] slate_lengths as published (may be 26)
  std::vector<uint8_t> interaction_type;  // [B,T] 0 unknown, 1 search, 2 rec
  std::vector<uint8_t> step_mask;         // [B,T] 1: the step counts in this batch's phase
  int64_t masked_steps = 0;               // steps with step_mask 1
  int64_t real_steps = 0;                 // steps with click != 0 (the interactions decoded)

  // Index of (user b, step t) in the [B,T] arrays and of its first slot in `slate`.
  int64_t step_index(int64_t b, int t) const { return b * max_steps + t; }
  int64_t slot_index(int64_t b, int t, int s) const {
    return (b * max_steps + t) * slate_slots + s;
  }
};

}  // namespace slatetrain
