// Full-catalogue evaluation, the merge step (docs/DISTRIBUTION.md): every rank scores the
// shared user vectors against its own rows and keeps a local top k (Backend::top_k); the
// candidates are allgathered and merged so every rank holds the global top k. Nothing
// gathers the table. Order: score descending, ties to the lower item id (the backend's top_k
// breaks ties by column, and a rank's columns are in item order, so local and global agree).
#pragma once

#include <cstdint>
#include <vector>

#include "core/backend.hpp"
#include "core/communicator.hpp"

namespace slatetrain {

// shapes: U users, k candidates per user, host memory.
struct TopK {
  int64_t users = 0;
  int64_t k = 0;
  std::vector<float> scores;   // [U, k] best first; -inf where there is no candidate
  std::vector<int32_t> items;  // [U, k] global item ids; -1 where there is no candidate
};

// Turns the backend's local top-k columns into global items: local row c is item
// c * world + rank (the table's cyclic ownership); -1 stays -1. first_local_row: the local row
// of column 0 when the scores covered a slice of the local table.
void columns_to_items(std::vector<int32_t>& columns, int rank, int world,
                      int64_t first_local_row = 0);

// Collective. local: this rank's top k per user (sorted best first, global item ids).
// Returns the global top k per user, the same on every rank. `backend` provides the device
// buffers the communicator may need (NCCL).
TopK merge_top_k(Communicator& communicator, Backend& backend, const TopK& local);

// The merge of candidate lists in memory (also what a single process uses): the k best of
// `candidates` entries by (score descending, item ascending), empty slots (item -1) last.
// shapes: scores, items [candidates]; out_scores, out_items [k].
void best_k(const float* scores, const int32_t* items, int64_t candidates, int64_t k,
            float* out_scores, int32_t* out_items);

}  // namespace slatetrain
