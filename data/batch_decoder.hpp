// Decoding users of a UserBlock (the ragged layout read from a shard) into rows of a padded
// SequenceBatch, with the window and step mask of a loader phase under the dataset's protocol
// (data/protocol.hpp, docs/FORMAT.md "Protocols"). This is the CPU reference of what the
// loader's background thread does; it touches no HDF5.
#pragma once

#include <cstdint>

#include "data/protocol.hpp"
#include "data/sequence_batch.hpp"
#include "data/shard_reader.hpp"

namespace slatetrain {

class BatchDecoder {
 public:
  // max_steps: the window T of the batch (for the users protocol at least the dataset's
  // longest row); slate_slots (S, 0 without slates) from the manifest; t_testsplit from its
  // split (users protocol only); num_items from the manifest: every click and slate id must
  // lie in [0, num_items) (0: ids are not checked).
  BatchDecoder(LoaderPhase phase, int max_steps, int slate_slots, int t_testsplit,
               Protocol protocol = Protocol::kUsers, int64_t num_items = 0);

  // Sizes `batch` for batch_users rows and clears it: every array 0, user_row -1, counts 0,
  // earlier_offsets [B+1] zeros in the leave-one-out evaluation phases (else empty).
  // Buffers are reused when they are already large enough.
  void reset(SequenceBatch& batch, int64_t batch_users) const;

  // Writes user `user` (an index into block.row) into row batch.valid_users of `batch` and
  // increments valid_users, masked_steps and real_steps. Throws Error naming the user's row
  // and step when the block is inconsistent (t out of range or not increasing, a slate wider
  // than slate_slots, offsets out of bounds, a split value above 2, an item id outside
  // [0, num_items) in a click or a slate of the window), when a users-protocol row
  // does not fit the window, or when a leave-one-out evaluation phase is given a user with
  // fewer than kLeaveOneOutMinEvents events.
  void append_user(const UserBlock& block, int64_t user, SequenceBatch& batch) const;

  // Users protocol: whether a real step (click != 0) at index t of a user in `split` counts in
  // this phase.
  bool counts(uint8_t split, int t) const;

  // Leave-one-out: the user's events [begin, end) that form the window of this phase for a
  // user with `events` events, and the event whose step alone is masked (-1: all of them).
  struct Window {
    int64_t begin = 0, end = 0, masked = -1;
  };
  Window leave_one_out_window(int64_t events) const;

  LoaderPhase phase() const { return phase_; }
  Protocol protocol() const { return protocol_; }
  int max_steps() const { return max_steps_; }
  int slate_slots() const { return slate_slots_; }
  int64_t num_items() const { return num_items_; }

 private:
  LoaderPhase phase_;
  Protocol protocol_;
  int max_steps_;
  int slate_slots_;
  int t_testsplit_;
  int64_t num_items_;
};

}  // namespace slatetrain
