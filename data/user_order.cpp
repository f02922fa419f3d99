#include "data/user_order.hpp"

#include <algorithm>
#include <numeric>

#include "core/error.hpp"
#include "core/random.hpp"

namespace slatetrain {

namespace {

// Random streams (hash_mix's second argument), so the block permutation and the window
// shuffles draw independent numbers.
constexpr uint64_t kBlockStream = 0x626c6f636b73;   // "blocks"
constexpr uint64_t kWindowStream = 0x77696e646f77;  // "window"

void check_rank(int rank, int world_size) {
  REQUIRE(world_size > 0 && rank >= 0 && rank < world_size,
          "rank " << rank << " outside a world of " << world_size);
}

// First user of rank r's part of n users over w ranks.
int64_t share_begin(int64_t num_users, int rank, int world_size) {
  return static_cast<int64_t>(static_cast<__int128>(num_users) * rank / world_size);
}

}  // namespace

UserOrder::UserOrder(std::vector<int64_t> phase_rows, std::vector<int64_t> shard_first_rows,
                     const UserOrderOptions& options)
    : phase_rows_(std::move(phase_rows)),
      shard_first_rows_(std::move(shard_first_rows)),
      options_(options) {
  REQUIRE(options_.block_users > 0, "block_users must be positive, not " << options_.block_users);
  REQUIRE(options_.window_blocks > 0,
          "window_blocks must be positive, not " << options_.window_blocks);
  REQUIRE(options_.max_gap_rows >= 0,
          "max_gap_rows must be non-negative, not " << options_.max_gap_rows);
  REQUIRE(shard_first_rows_.size() >= 2 && shard_first_rows_.front() == 0,
          "shard row boundaries must start at 0 and name at least one shard");
  for (size_t i = 1; i < shard_first_rows_.size(); ++i)
    REQUIRE(shard_first_rows_[i] >= shard_first_rows_[i - 1],
            "shard " << i << " starts at row " << shard_first_rows_[i] << ", before shard " << i - 1
                     << " (row " << shard_first_rows_[i - 1] << ")");
  for (size_t i = 0; i < phase_rows_.size(); ++i) {
    REQUIRE(phase_rows_[i] >= 0 && phase_rows_[i] < shard_first_rows_.back(),
            "user row " << phase_rows_[i] << " outside the " << shard_first_rows_.back()
                        << " rows of the shards");
    REQUIRE(i == 0 || phase_rows_[i] > phase_rows_[i - 1],
            "user rows must increase: row " << phase_rows_[i] << " follows " << phase_rows_[i - 1]);
  }

  // Blocks: block_users consecutive users, a new block at every shard boundary.
  block_begin_.push_back(0);
  int current_shard = -1;
  for (int64_t i = 0; i < num_users(); ++i) {
    const int shard = shard_of_row(phase_rows_[static_cast<size_t>(i)]);
    const bool block_full = i - block_begin_.back() >= options_.block_users;
    if (i > 0 && (block_full || shard != current_shard)) block_begin_.push_back(i);
    current_shard = shard;
  }
  if (num_users() > 0) block_begin_.push_back(num_users());
}

int UserOrder::shard_of_row(int64_t row) const {
  const auto after = std::upper_bound(shard_first_rows_.begin(), shard_first_rows_.end(), row);
  return static_cast<int>(after - shard_first_rows_.begin()) - 1;
}

int64_t UserOrder::users_on_rank(int rank, int world_size) const {
  check_rank(rank, world_size);
  return share_begin(num_users(), rank + 1, world_size) -
         share_begin(num_users(), rank, world_size);
}

int64_t UserOrder::max_users_per_rank(int world_size) const {
  check_rank(0, world_size);
  return (num_users() + world_size - 1) / world_size;
}

void UserOrder::append_reads(int64_t begin, int64_t end, std::vector<RowRange>& reads) const {
  if (begin >= end) return;
  const int shard = shard_of_row(phase_rows_[static_cast<size_t>(begin)]);
  RowRange range{shard, phase_rows_[static_cast<size_t>(begin)],
                 phase_rows_[static_cast<size_t>(begin)] + 1};
  for (int64_t i = begin + 1; i < end; ++i) {
    const int64_t row = phase_rows_[static_cast<size_t>(i)];
    if (row - range.end_row > options_.max_gap_rows) {
      reads.push_back(range);
      range.begin_row = row;
    }
    range.end_row = row + 1;
  }
  reads.push_back(range);
}

std::vector<UserWindow> UserOrder::plan_epoch(uint64_t seed, int64_t epoch, bool shuffle, int rank,
                                              int world_size) const {
  check_rank(rank, world_size);
  REQUIRE(epoch >= 0, "epoch must be non-negative, not " << epoch);
  std::vector<int64_t> block_order(static_cast<size_t>(num_blocks()));
  std::iota(block_order.begin(), block_order.end(), 0);
  const auto epoch_stream = static_cast<uint64_t>(epoch);
  if (shuffle) {
    Random random(hash_mix(seed, kBlockStream, epoch_stream));
    for (int64_t i = num_blocks() - 1; i > 0; --i) {
      const auto j = static_cast<int64_t>(random.below(static_cast<uint64_t>(i + 1)));
      std::swap(block_order[static_cast<size_t>(i)], block_order[static_cast<size_t>(j)]);
    }
  }

  // The rank's part [first, last) of the sequence of users in block order, as pieces of
  // blocks: [begin, end) indices into phase_rows_.
  const int64_t first = share_begin(num_users(), rank, world_size);
  const int64_t last = share_begin(num_users(), rank + 1, world_size);
  std::vector<std::pair<int64_t, int64_t>> pieces;
  int64_t position = 0;  // users before the current block in block order
  for (const int64_t block : block_order) {
    if (position >= last) break;
    const int64_t begin = block_begin_[static_cast<size_t>(block)];
    const int64_t size = block_begin_[static_cast<size_t>(block) + 1] - begin;
    const int64_t piece_begin = std::max(first, position);
    const int64_t piece_end = std::min(last, position + size);
    if (piece_begin < piece_end)
      pieces.emplace_back(begin + piece_begin - position, begin + piece_end - position);
    position += size;
  }

  std::vector<UserWindow> windows;
  const auto window_blocks = static_cast<size_t>(options_.window_blocks);
  for (size_t start = 0; start < pieces.size(); start += window_blocks) {
    UserWindow window;
    const size_t stop = std::min(pieces.size(), start + window_blocks);
    for (size_t p = start; p < stop; ++p) {
      append_reads(pieces[p].first, pieces[p].second, window.reads);
      window.rows.insert(window.rows.end(), phase_rows_.begin() + pieces[p].first,
                         phase_rows_.begin() + pieces[p].second);
    }
    std::sort(window.reads.begin(), window.reads.end(),
              [](const RowRange& a, const RowRange& b) { return a.begin_row < b.begin_row; });
    if (shuffle) {
      const uint64_t window_counter =
          (static_cast<uint64_t>(rank) << 40) ^ static_cast<uint64_t>(windows.size());
      Random random(hash_mix(hash_mix(seed, kWindowStream, epoch_stream), window_counter));
      for (size_t i = window.rows.size() - 1; i > 0; --i) {
        const auto j = static_cast<size_t>(random.below(i + 1));
        std::swap(window.rows[i], window.rows[j]);
      }
    }
    windows.push_back(std::move(window));
  }
  return windows;
}

}  // namespace slatetrain
