// Which users a rank reads in an epoch, and in which order.
//
// The phase's users (increasing source rows) are cut into blocks of block_users consecutive
// users, never crossing a shard. Each epoch the blocks are permuted from (seed, epoch) and
// their users laid end to end; rank r of W takes the r-th of W equal contiguous parts of that
// sequence (sizes differ by at most one user, so every rank has the same work every epoch).
// A rank reads its part a window of window_blocks blocks at a time, in contiguous row ranges,
// and shuffles the users within each window. With shuffle off the blocks keep source order
// and nothing is shuffled (evaluation). Everything is a pure function of
// (seed, epoch, rank, world_size): no communication is needed to agree on it.
#pragma once

#include <cstdint>
#include <vector>

namespace slatetrain {

// Rows [begin_row, end_row) of the source arrays, all inside shard `shard`: one read.
struct RowRange {
  int shard = 0;
  int64_t begin_row = 0;
  int64_t end_row = 0;
};

// A unit of reading and shuffling.
struct UserWindow {
  std::vector<RowRange> reads;  // increasing rows, disjoint; they cover every row in `rows`
  std::vector<int64_t> rows;    // the window's users (source rows) in delivery order
};

struct UserOrderOptions {
  int64_t block_users = 128;  // users per block (each block is read contiguously)
  int window_blocks = 4;      // blocks whose users are shuffled together
  // Users outside the phase between two users of a block are read through when at most this
  // many (one read is cheaper than two for small gaps); a longer gap starts another read.
  int64_t max_gap_rows = 64;
};

class UserOrder {
 public:
  // phase_rows: the source rows of the phase's users, strictly increasing.
  // shard_first_rows: [shards + 1]; shard i holds rows [shard_first_rows[i], [i + 1]).
  UserOrder(std::vector<int64_t> phase_rows, std::vector<int64_t> shard_first_rows,
            const UserOrderOptions& options = UserOrderOptions());

  int64_t num_users() const { return static_cast<int64_t>(phase_rows_.size()); }
  int64_t num_blocks() const { return static_cast<int64_t>(block_begin_.size()) - 1; }
  const UserOrderOptions& options() const { return options_; }

  // Users rank `rank` of `world_size` gets in every epoch: floor or ceil of num_users / world.
  int64_t users_on_rank(int rank, int world_size) const;
  // The most users any rank gets: ceil(num_users / world_size).
  int64_t max_users_per_rank(int world_size) const;

  // The rank's windows for an epoch, in delivery order.
  std::vector<UserWindow> plan_epoch(uint64_t seed, int64_t epoch, bool shuffle, int rank,
                                     int world_size) const;

 private:
  int shard_of_row(int64_t row) const;
  // Appends the reads covering phase_rows_[begin, end) (one shard) to `reads`.
  void append_reads(int64_t begin, int64_t end, std::vector<RowRange>& reads) const;

  std::vector<int64_t> phase_rows_;
  std::vector<int64_t> shard_first_rows_;
  UserOrderOptions options_;
  std::vector<int64_t> block_begin_;  // [blocks + 1] indices into phase_rows_
};

}  // namespace slatetrain
