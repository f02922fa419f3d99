// The hierarchical item prior of the sharded item table (docs/ITEM_PRIOR.md): item i's vector
// v_i ~ N(mu_g, sigma_g^2 I) with g = group(i), MAP-trained. Its loss over the whole table is
//   P = weight * sum_i ( |v_i - mu_g|^2 / (2 sigma_g^2) + D log sigma_g ),
// and it acts on every row at every step, touched or not:
//   rows: the exact gradient flow of P over a step of "length" learning_rate (decoupled from
//         the row optimizer, as AdamW's decay): v <- mu + (v - mu) exp(-lr weight / sigma^2).
//         Lazily: a row keeps the cumulative learning rate at which it was last caught up (its
//         anchor) and is caught up in closed form when it is next read or updated; the product
//         of the missed steps' factors is exp(-rate * (sum of their learning rates)), exact
//         whatever the schedule. A flush catches every row up (before whole-table reads).
//   groups: every refresh_steps steps (and at the start) mu_g and, when learned, sigma_g are
//         set to P's minimiser given the rows (the group's mean; the root mean square of the
//         deviations, at least sigma_min): coordinate-wise MAP with a flat hyperprior.
// It works on host values (the CPU backend's rows, or host copies of a device's: see
// ShardedEmbedding): every rank owns its rows' anchors; the group state is replicated, and its
// refresh sums over ranks.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/communicator.hpp"

namespace slatetrain {

enum class ItemPriorKind { kNone, kGlobal, kGroup };

// "none" / "global" / "group"; anything else is an Error naming the text.
ItemPriorKind parse_item_prior_kind(const std::string& name);
const char* item_prior_name(ItemPriorKind kind);

struct ItemPriorOptions {
  ItemPriorKind kind = ItemPriorKind::kNone;
  float weight = 1.0f;  // the prior's weight against the objective
  float sigma = 0.1f;   // every group's scale (fixed, or the start when learned)
  bool learn_sigma = false;
  float sigma_min = 1e-3f;      // learned scales never fall below it
  int64_t refresh_steps = 100;  // group vectors (and scales) re-estimated every N steps; 0: never
  bool every_step = false;      // the dense reference: every row caught up at every step
};

// The prior's loss P (above) of `count` rows and its gradients (each output may be null).
// shapes: rows [count, dim]; groups [count] in [0, G); group_vectors [G, dim];
//         group_scales [G]; row_gradients [count, dim]; group_vector_gradients [G, dim],
//         group_scale_gradients [G] (both zeroed here, then summed over the rows).
double item_prior_loss(const float* rows, const int32_t* groups, int64_t count, int64_t dim,
                       const float* group_vectors, const float* group_scales, int64_t group_count,
                       float weight, float* row_gradients, float* group_vector_gradients,
                       float* group_scale_gradients);

class ItemPrior {
 public:
  // local_groups [local_rows]: each local row's group, in [0, group_count). The group state
  // starts at sigma and at the mean of each group's rows (a collective on `host`: call
  // start(table) once the rows hold their initial values).
  ItemPrior(const ItemPriorOptions& options, std::vector<int32_t> local_groups, int64_t group_count,
            int64_t dim, Communicator& host);

  const ItemPriorOptions& options() const { return options_; }
  int64_t group_count() const { return group_count_; }

  // One step's learning rate: the prior's clock moves on (rows fall behind until caught up).
  void advance(double learning_rate);
  // Catches the listed local rows up to the clock (rows already there are left bit for bit).
  // shapes: table [local_rows, dim] (host); rows [count], host.
  void catch_up(float* table, const int32_t* rows, int64_t count);
  // No row is behind the clock (nothing to catch up since the last flush).
  bool nothing_behind() const { return clock_ == 0.0; }
  // The listed local rows that are behind the clock (for callers that stage rows).
  std::vector<int32_t> rows_behind(const int32_t* rows, int64_t count) const;
  // Catches rows up whose values were copied out: values [count, dim] (host) holds local rows
  // rows[0..count) in order.
  void catch_up_copies(float* values, const int32_t* rows, int64_t count);
  // Every local row caught up; the clock and the anchors restart at zero.
  void flush(float* table);
  // Collective: the group vectors from the initial rows (the scales stay at sigma).
  void start(float* table) { estimate_groups(table, false); }
  // Collective: flush, then each group's vector (and learned scale) from every rank's rows.
  void refresh(float* table) { estimate_groups(table, options_.learn_sigma); }
  // Whether the update of optimizer step `step` (1-based) ends with a refresh.
  bool refresh_due(int64_t step) const {
    return options_.refresh_steps > 0 && step % options_.refresh_steps == 0;
  }

  // The replicated group state (checkpointed): [G, dim] and [G].
  const std::vector<float>& group_vectors() const { return group_vectors_; }
  const std::vector<float>& group_scales() const { return group_scales_; }
  // After the rows were loaded as they were saved (flushed): the saved group state, the
  // clock and the anchors at zero.
  void set_group_state(std::vector<float> group_vectors, std::vector<float> group_scales);
  // The rows were replaced as a whole (flushed values): nothing is behind.
  void restart_clock();

 private:
  void set_rates();
  void estimate_groups(float* table, bool scales);
  // values: row `row`'s dim values.
  void catch_up_row(float* values, int64_t row);
  void check_rows(const int32_t* rows, int64_t count) const;

  ItemPriorOptions options_;
  std::vector<int32_t> local_groups_;  // [local_rows]
  int64_t group_count_;
  int64_t dim_;
  Communicator& host_;
  double clock_ = 0.0;                // cumulative learning rate since the last flush
  std::vector<double> anchor_;        // [local_rows] the clock when each row was last caught up
  std::vector<float> group_vectors_;  // [G, dim]
  std::vector<float> group_scales_;   // [G]
  std::vector<double> rates_;         // [G] weight / sigma^2
};

}  // namespace slatetrain
