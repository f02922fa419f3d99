// Decoding users of a UserBlock (the ragged layout read from a shard) into rows of a padded
// SequenceBatch, with the step mask of a loader phase. This is the CPU reference of what the
// loader's background thread does; it touches no HDF5.
#pragma once

#include <cstdint>

#include "data/shard_reader.hpp"
#include "data/sequence_batch.hpp"

namespace slatetrain {

class BatchDecoder {
 public:
  // max_steps (T) and slate_slots (S) from the manifest; t_testsplit from its split.
  BatchDecoder(LoaderPhase phase, int max_steps, int slate_slots, int t_testsplit);

  // Sizes `batch` for batch_users rows and clears it: every array 0, user_row -1, counts 0.
  // Buffers are reused when they are already large enough.
  void reset(SequenceBatch& batch, int64_t batch_users) const;

  // Writes user `user` (an index into block.row) into row batch.valid_users of `batch` and
  // increments valid_users, masked_steps and real_steps. Throws Error naming the user's row
  // and step when the block is inconsistent (t out of range or not increasing, a slate wider
  // than slate_slots, offsets out of bounds, a split value above 2).
  void append_user(const UserBlock& block, int64_t user, SequenceBatch& batch) const;

  // Whether a real step (click != 0) at index t of a user in `split` counts in this phase.
  bool counts(uint8_t split, int t) const;

  LoaderPhase phase() const { return phase_; }
  int max_steps() const { return max_steps_; }
  int slate_slots() const { return slate_slots_; }

 private:
  LoaderPhase phase_;
  int max_steps_;
  int slate_slots_;
  int t_testsplit_;
};

}  // namespace slatetrain
