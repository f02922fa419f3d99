// The item table, sharded row-wise over ranks (docs/DISTRIBUTION.md): item i lives on rank
// i % world as local row i / world, with the sparse row optimizer's state for its rows. No
// rank ever holds the whole table.
//
// A training step, stage by stage (named for what moves where):
//   forward:  dedup_ids      the ids the local batch needs -> sorted unique ids + remap (local)
//             exchange_ids   alltoallv of the unique ids to their owners (collective)
//             gather_rows    owners read the requested rows (local)
//             return_rows    alltoallv of the rows back, into [n_unique, D] in the requester's
//                            sorted unique order (collective)
//   backward: reduce_row_grads  each unique id's summed gradient goes to its owner, which sums
//                            the pieces for one id from several ranks in rank order (collective)
//             apply_row_gradients  the sparse row optimizer on the rows touched (local)
// Rows and gradients live in the backend's memory and their exchanges go through the device
// Communicator, so the same code runs on host buffers (MPI) and device buffers (NCCL). Ids and
// their bookkeeping (sorting, counts) stay on the host and go over the host Communicator. With
// one rank the row exchanges are skipped.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/backend.hpp"
#include "core/communicator.hpp"
#include "core/tensor.hpp"
#include "dist/item_prior.hpp"
#include "models/catalogue_shard.hpp"
#include "models/optimizer_sparse_rows.hpp"

namespace slatetrain {

struct ShardedEmbeddingOptions {
  int64_t num_items = 0;     // rows of the whole table (ids 0 .. num_items-1)
  int64_t dim = 0;           // D
  uint64_t seed = 0;         // initial values: row i, column j from hash_mix(seed, i, j)
  float init_scale = 0.01f;  // standard deviation of the initial normal values
  RowOptimizerOptions optimizer;
  // The hierarchical item prior (dist/item_prior.hpp; kind none: off, today's table). Group
  // kind: item_groups [num_items] holds each item's group in [0, item_group_count); global
  // kind: one group of every item (item_groups unused).
  ItemPriorOptions prior;
  std::vector<int32_t> item_groups;
  int64_t item_group_count = 0;
  // The prior's rows go through host copies (what a device backend does; tests set it to run
  // that path on the CPU backend, whose rows the prior otherwise updates in place).
  bool stage_prior_rows = false;
  // Threads that draw the initial rows (host work on every backend); the values do not depend
  // on it.
  int init_threads = 1;
};

// shapes: N ids in the batch, U unique ids, W ranks, R rows requested from this rank.
// What one lookup leaves for its backward. Build with dedup_ids (or from_unique_ids), then
// exchange_ids fills the rest.
struct RowExchange {
  std::vector<int64_t> unique_ids;  // [U] sorted ascending, distinct
  std::vector<int32_t> index;       // [N] position of each batch id in unique_ids; -1 for a
                                    // negative id (no row). Empty when built from unique ids.
  // exchange_ids:
  std::vector<size_t> send_counts;      // [W] ids this rank asks each owner for
  std::vector<size_t> recv_counts;      // [W] ids each rank asks this rank for (R = sum)
  std::vector<int32_t> send_order;      // [U] unique positions grouped by owner (ids ascending)
  Tensor send_order_device;             // [U] int32, send_order on the device
  Tensor unique_from_sent_device;       // [U] int32, inverse of send_order: where unique u was sent
  Tensor requested_rows_device;         // [R] int32, local rows the others asked for, by requester
  std::vector<int32_t> requested_rows;  // [R] the same on the host
};

// The owner's side of a backward: the distinct local rows touched and their summed gradients.
struct RowGradients {
  std::vector<int32_t> rows;  // [touched] local rows, ascending
  Tensor rows_device;         // [touched] int32
  Tensor gradients;           // [touched, D] float
};

class ShardedEmbedding final : public CatalogueShard {
 public:
  // Allocates this rank's rows and optimizer state and fills the rows from the seed: the
  // whole table is the same for any world size. `communicator` carries rows and row gradients
  // on the backend's buffers (NCCL on GPUs); `host_communicator`, the same ranks over host
  // memory, carries the ids, which live on the host (on CPU ranks both are the one MPI
  // communicator). All three must outlive it.
  ShardedEmbedding(Communicator& communicator, Communicator& host_communicator, Backend& backend,
                   const ShardedEmbeddingOptions& options);

  int64_t num_items() const override { return options_.num_items; }
  int64_t dim() const override { return options_.dim; }
  int64_t local_rows() const override { return local_rows_; }
  int owner_of(int64_t item) const { return static_cast<int>(item % world_); }
  int64_t local_row_of(int64_t item) const { return item / world_; }
  int64_t item_of_local_row(int64_t local_row) const override { return local_row * world_ + rank_; }

  // ---- the whole local shard (models/catalogue_shard.hpp) ----
  // Whole-table reads see every row caught up with the item prior (a flush; no-op without one).
  const float* local_vectors() override {
    flush_prior();
    return table_.empty() ? nullptr : table_.data<float>();
  }
  // Allocated (and zeroed) on first use; once used in a step, backward_and_update applies it to
  // every local row and zeroes it again.
  float* local_gradients() override;
  Communicator& device_communicator() override { return communicator_; }
  Communicator& host_communicator() override { return host_communicator_; }
  // shapes: [local_rows, D] on the backend's device; row r is item r * world + rank.
  Tensor& table() {
    flush_prior();
    return table_;
  }
  SparseRowOptimizer& optimizer() { return optimizer_; }
  // The item prior, or null when off (options.prior.kind none).
  ItemPrior* prior() { return prior_.get(); }
  // Whether the prior's rows go through host copies (device backends, stage_prior_rows).
  bool prior_staged() const { return prior_staged_; }
  // Every local row caught up with the prior (local; no-op without one).
  void flush_prior();

  // The initial value of one entry (what a world of one would hold).
  static float initial_value(uint64_t seed, float scale, int64_t item, int64_t column);

  // ---- forward stages ----
  // Local. ids [count] on the host; negative ids get index -1 (no row); ids >= num_items are
  // an Error naming the position and id.
  RowExchange dedup_ids(const int64_t* ids, int64_t count) const;
  // Local. For callers that dedup themselves (the model's batch): sorted, distinct ids.
  RowExchange from_unique_ids(std::vector<int64_t> unique_ids) const;
  // Collective. Sends the unique ids to their owners; fills the rest of `exchange`.
  void exchange_ids(RowExchange& exchange);
  // Local. rows_to_send [R, D] (device) gets the owner's rows the others asked for.
  void gather_rows(const RowExchange& exchange, float* rows_to_send);
  // Collective. rows [U, D] (device) gets each unique id's row, in unique_ids order.
  void return_rows(const RowExchange& exchange, const float* rows_to_send, float* rows);
  // All four: rows becomes a [U, D] tensor of the batch's unique rows.
  RowExchange lookup(const int64_t* ids, int64_t count, Tensor& rows);
  RowExchange lookup_unique(std::vector<int64_t> unique_ids, Tensor& rows);

  // ---- backward stages ----
  // Collective. drows [U, D] (device): the gradient of each unique id, summed over the batch.
  RowGradients reduce_row_grads(const RowExchange& exchange, const float* drows);
  // Local. The sparse optimizer on the touched rows (called on every rank every step).
  void apply_row_gradients(const RowGradients& gradients, float learning_rate);
  // reduce_row_grads and apply_row_gradients; when the step used local_gradients(), the
  // batch's row gradients are added into them and every local row is updated.
  void backward_and_update(const RowExchange& exchange, const float* drows, float learning_rate);

  // ---- checkpoints: whole tables in global item order, in bounded chunks ----
  // Table 0 is "weights", then the optimizer's state tables (optimizer().state_names()).
  std::vector<std::string> row_table_names() const;
  // Collective. Rank 0's sink(first_item, item_count, rows) receives table `table` as host
  // rows [item_count, D] for items first_item.., at most chunk_rows at a time, in order; the
  // sink is not called on other ranks. Rank 0 holds one chunk at a time, never the table.
  using RowSink = std::function<void(int64_t first_item, int64_t item_count, const float* rows)>;
  void collect_rows(size_t table, const RowSink& sink, int64_t chunk_rows = 65536);
  // Collective. Rank 0's source(first_item, item_count, rows) fills host rows
  // [item_count, D] in global item order; every owner stores its part. The table may have
  // been written by a run with a different number of ranks.
  using RowSource = std::function<void(int64_t first_item, int64_t item_count, float* rows)>;
  void scatter_rows(size_t table, const RowSource& source, int64_t chunk_rows = 65536);

 private:
  // exchange_ids, gather_rows and return_rows into a new rows tensor [U, D].
  void fetch_rows(RowExchange& exchange, Tensor& rows);
  Tensor& row_table(size_t table);
  // Rows this rank owns among items [0, item_limit).
  int64_t owned_below(int64_t item_limit, int rank) const;
  void initialise_rows();
  // The prior's part of an update with `learning_rate` on local rows (host) [count]: before
  // the row optimizer, the clock moves on and the rows are caught up; after it, a refresh
  // when due (collective).
  void prior_before_update(float learning_rate, const int32_t* rows, int64_t count);
  void prior_after_update();
  // The prior on local rows [count] (host ids) / on the whole local table, in place on host
  // memory or through host copies (staged).
  void prior_catch_up_rows(const int32_t* rows, int64_t count);
  void prior_on_whole_table(const std::function<void(float* rows)>& action);

  Communicator& communicator_;
  Communicator& host_communicator_;  // for the ids
  Backend& backend_;
  ShardedEmbeddingOptions options_;
  int rank_;
  int world_;
  int64_t local_rows_;
  Tensor table_;  // [local_rows, D]
  SparseRowOptimizer optimizer_;
  Tensor local_gradients_;  // [local_rows, D], see local_gradients()
  Tensor all_local_rows_;   // [local_rows] int32 0..local_rows-1 (updates of every row)
  bool local_gradients_used_ = false;
  std::unique_ptr<ItemPrior> prior_;  // null: no prior
  bool prior_staged_ = false;         // rows not in host memory: staged through host copies
};

}  // namespace slatetrain
