#include "dist/sharded_embedding.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/error.hpp"
#include "core/random.hpp"
#include "core/thread_pool.hpp"

namespace slatetrain {
namespace {

// A device tensor holding a copy of host values (the communicator may need device memory).
template <typename T>
Tensor to_device(Backend& backend, const std::vector<T>& values) {
  Tensor tensor(backend, {static_cast<int64_t>(values.size())}, dtype_of<T>());
  if (!values.empty())
    backend.copy_to_device(tensor.raw(), values.data(), values.size() * sizeof(T));
  return tensor;
}

std::vector<size_t> scaled(const std::vector<size_t>& counts, size_t factor) {
  std::vector<size_t> result(counts.size());
  for (size_t i = 0; i < counts.size(); ++i) result[i] = counts[i] * factor;
  return result;
}

size_t total_of(const std::vector<size_t>& counts) {
  return std::accumulate(counts.begin(), counts.end(), size_t{0});
}

float* row_pointer(Tensor& table, int64_t row, int64_t dim) {
  return table.empty() ? nullptr : table.data<float>() + row * dim;
}

// Positions of `rows` sorted by row, stable (equal rows keep their order). The rows arrive as
// one run per requester (run r holds run_lengths[r] entries) and each requester's ids are
// ascending, so the runs are merged pairwise in requester order: O(n log W), not a full sort.
// A run that is not ascending (never from exchange_ids) falls back to a stable sort.
std::vector<int32_t> order_by_row(const std::vector<int32_t>& rows,
                                  const std::vector<size_t>& run_lengths) {
  std::vector<int32_t> order(rows.size());
  std::iota(order.begin(), order.end(), 0);
  const auto by_row = [&](int32_t a, int32_t b) { return rows[a] < rows[b]; };
  std::vector<size_t> bounds{0};
  for (size_t length : run_lengths) bounds.push_back(bounds.back() + length);
  if (bounds.back() != rows.size()) {
    std::stable_sort(order.begin(), order.end(), by_row);
    return order;
  }
  for (size_t run = 0; run + 1 < bounds.size(); ++run) {
    if (!std::is_sorted(order.begin() + bounds[run], order.begin() + bounds[run + 1], by_row)) {
      std::stable_sort(order.begin(), order.end(), by_row);
      return order;
    }
  }
  // Bottom-up: merge neighbouring runs until one is left; the left run's entries go first
  // on ties, so requester order is kept.
  while (bounds.size() > 2) {
    std::vector<size_t> merged{0};
    for (size_t run = 0; run + 1 < bounds.size(); run += 2) {
      if (run + 2 < bounds.size()) {
        std::inplace_merge(order.begin() + bounds[run], order.begin() + bounds[run + 1],
                           order.begin() + bounds[run + 2], by_row);
        merged.push_back(bounds[run + 2]);
      } else {
        merged.push_back(bounds[run + 1]);
      }
    }
    bounds = std::move(merged);
  }
  return order;
}

}  // namespace

ShardedEmbedding::ShardedEmbedding(Communicator& communicator, Communicator& host_communicator,
                                   Backend& backend, const ShardedEmbeddingOptions& options)
    : communicator_(communicator),
      host_communicator_(host_communicator),
      backend_(backend),
      options_(options),
      rank_(communicator.rank()),
      world_(communicator.world_size()),
      local_rows_(options.num_items > rank_ ? (options.num_items - rank_ + world_ - 1) / world_
                                            : 0),
      table_(backend, {local_rows_, options.dim}, DType::kFloat32),
      optimizer_(backend, local_rows_, options.dim, options.optimizer) {
  REQUIRE(options.num_items > 0 && options.num_items <= INT32_MAX,
          "sharded embedding: num_items " << options.num_items << " outside [1, 2^31)");
  REQUIRE(options.dim > 0, "sharded embedding: dim " << options.dim << " must be positive");
  REQUIRE(host_communicator.rank() == rank_ && host_communicator.world_size() == world_,
          "sharded embedding: the host communicator's rank "
              << host_communicator.rank() << " of " << host_communicator.world_size()
              << " does not match the device communicator's " << rank_ << " of " << world_);
  initialise_rows();
  if (options_.prior.kind != ItemPriorKind::kNone) {
    // The prior works on host values: the CPU backend's rows in place, a device's through
    // host copies (dist/item_prior.hpp).
    prior_staged_ = backend.device() != Device::kCpu || options_.stage_prior_rows;
    const bool by_group = options_.prior.kind == ItemPriorKind::kGroup;
    if (by_group) {
      REQUIRE(static_cast<int64_t>(options_.item_groups.size()) == options_.num_items,
              "sharded embedding: " << options_.item_groups.size() << " item groups for "
                                    << options_.num_items << " items");
    }
    std::vector<int32_t> local_groups(static_cast<size_t>(local_rows_), 0);
    if (by_group) {
      for (int64_t row = 0; row < local_rows_; ++row)
        local_groups[row] = options_.item_groups[item_of_local_row(row)];
    }
    prior_ = std::make_unique<ItemPrior>(options_.prior, std::move(local_groups),
                                         by_group ? options_.item_group_count : 1, options_.dim,
                                         host_communicator_);
    // The group vectors start at the means of the initial rows.
    prior_on_whole_table([&](float* rows) { prior_->start(rows); });
  }
  options_.item_groups = {};  // each rank keeps its own rows' groups (in the prior)
}

void ShardedEmbedding::prior_on_whole_table(const std::function<void(float* rows)>& action) {
  float* table = table_.empty() ? nullptr : table_.data<float>();
  if (!prior_staged_) {
    action(table);
    return;
  }
  std::vector<float> host(static_cast<size_t>(local_rows_ * options_.dim));
  if (!host.empty()) backend_.copy_to_host(host.data(), table, host.size() * sizeof(float));
  action(host.empty() ? nullptr : host.data());
  if (!host.empty()) backend_.copy_to_device(table, host.data(), host.size() * sizeof(float));
}

void ShardedEmbedding::prior_catch_up_rows(const int32_t* rows, int64_t count) {
  if (!prior_staged_) {
    prior_->catch_up(table_.empty() ? nullptr : table_.data<float>(), rows, count);
    return;
  }
  // Only the rows behind travel: gather them, catch them up on the host, and add the change
  // back (the backend has a scatter-add, embedding_backward). A row listed twice (several ranks
  // asked for it) is caught up once: its second copy's change is 0.
  const std::vector<int32_t> behind = prior_->rows_behind(rows, count);
  const int64_t behind_count = static_cast<int64_t>(behind.size());
  if (behind_count == 0) return;
  const int64_t dim = options_.dim;
  const Tensor behind_device = to_device(backend_, behind);
  Tensor staged(backend_, {behind_count, dim}, DType::kFloat32);
  backend_.embedding_forward(staged.data<float>(), table_.data<float>(),
                             behind_device.data<int32_t>(), behind_count, dim, local_rows_);
  std::vector<float> before(static_cast<size_t>(behind_count * dim));
  backend_.copy_to_host(before.data(), staged.raw(), before.size() * sizeof(float));
  std::vector<float> after = before;
  prior_->catch_up_copies(after.data(), behind.data(), behind_count);
  for (size_t k = 0; k < after.size(); ++k) after[k] -= before[k];
  backend_.copy_to_device(staged.raw(), after.data(), after.size() * sizeof(float));
  backend_.embedding_backward(table_.data<float>(), staged.data<float>(),
                              behind_device.data<int32_t>(), behind_count, dim, local_rows_);
}

void ShardedEmbedding::flush_prior() {
  if (!prior_ || prior_->nothing_behind()) return;
  prior_on_whole_table([&](float* rows) { prior_->flush(rows); });
}

void ShardedEmbedding::prior_before_update(float learning_rate, const int32_t* rows,
                                           int64_t count) {
  if (!prior_) return;
  prior_->advance(learning_rate);
  if (prior_->options().every_step || count == local_rows_) {
    flush_prior();
  } else {
    prior_catch_up_rows(rows, count);
  }
}

void ShardedEmbedding::prior_after_update() {
  if (prior_ && prior_->refresh_due(optimizer_.step_count()))
    prior_on_whole_table([&](float* rows) { prior_->refresh(rows); });
}

float ShardedEmbedding::initial_value(uint64_t seed, float scale, int64_t item, int64_t column) {
  // Box-Muller from two counter-based draws; u1 in (0, 1] keeps the log finite.
  const double u1 = to_unit_double(hash_mix(seed, item, 2 * column)) + 0x1.0p-53;
  const double u2 = to_unit_double(hash_mix(seed, item, 2 * column + 1));
  return static_cast<float>(scale * std::sqrt(-2.0 * std::log(u1)) *
                            std::cos(6.283185307179586 * u2));
}

void ShardedEmbedding::initialise_rows() {
  // A value depends only on (seed, item, column), so threads may draw any rows: the table is
  // the same for every thread count. (Two libm calls per value: at FINN's 84M values, about
  // 2 s on one thread.)
  const int64_t dim = options_.dim;
  const int64_t rows_per_piece = std::max<int64_t>(1, (1 << 20) / dim);
  ThreadPool pool(std::max(1, options_.init_threads));
  std::vector<float> piece;
  for (int64_t first = 0; first < local_rows_; first += rows_per_piece) {
    const int64_t count = std::min(rows_per_piece, local_rows_ - first);
    piece.resize(count * dim);
    pool.parallel_for(0, count, 1024, [&](int64_t begin, int64_t end) {
      for (int64_t r = begin; r < end; ++r) {
        const int64_t item = item_of_local_row(first + r);
        for (int64_t j = 0; j < dim; ++j)
          piece[r * dim + j] = initial_value(options_.seed, options_.init_scale, item, j);
      }
    });
    backend_.copy_to_device(row_pointer(table_, first, dim), piece.data(),
                            piece.size() * sizeof(float));
  }
}

// ---- forward ------------------------------------------------------------------------------

RowExchange ShardedEmbedding::dedup_ids(const int64_t* ids, int64_t count) const {
  RowExchange exchange;
  std::vector<int64_t>& unique = exchange.unique_ids;
  unique.reserve(count);
  for (int64_t i = 0; i < count; ++i) {
    REQUIRE(ids[i] < options_.num_items, "sharded embedding on rank "
                                             << rank_ << ": id " << ids[i] << " at position " << i
                                             << " is outside the table of " << options_.num_items
                                             << " items");
    if (ids[i] >= 0) unique.push_back(ids[i]);
  }
  std::sort(unique.begin(), unique.end());
  unique.erase(std::unique(unique.begin(), unique.end()), unique.end());
  exchange.index.resize(count);
  for (int64_t i = 0; i < count; ++i) {
    exchange.index[i] =
        ids[i] < 0 ? -1
                   : static_cast<int32_t>(std::lower_bound(unique.begin(), unique.end(), ids[i]) -
                                          unique.begin());
  }
  return exchange;
}

RowExchange ShardedEmbedding::from_unique_ids(std::vector<int64_t> unique_ids) const {
  for (size_t i = 0; i < unique_ids.size(); ++i) {
    REQUIRE(unique_ids[i] >= 0 && unique_ids[i] < options_.num_items,
            "sharded embedding on rank " << rank_ << ": unique id " << unique_ids[i]
                                         << " at position " << i << " is outside [0, "
                                         << options_.num_items << ")");
    REQUIRE(i == 0 || unique_ids[i - 1] < unique_ids[i],
            "sharded embedding on rank " << rank_ << ": unique ids not sorted and distinct at "
                                         << "position " << i << " (" << unique_ids[i - 1]
                                         << " then " << unique_ids[i] << ")");
  }
  RowExchange exchange;
  exchange.unique_ids = std::move(unique_ids);
  return exchange;
}

void ShardedEmbedding::exchange_ids(RowExchange& exchange) {
  const std::vector<int64_t>& unique = exchange.unique_ids;
  const size_t unique_count = unique.size();
  // Group the unique positions by owner; ids stay ascending within an owner.
  exchange.send_counts.assign(world_, 0);
  for (int64_t id : unique) ++exchange.send_counts[owner_of(id)];
  std::vector<size_t> next(world_, 0);
  for (int r = 1; r < world_; ++r) next[r] = next[r - 1] + exchange.send_counts[r - 1];
  exchange.send_order.assign(unique_count, 0);
  std::vector<int32_t> unique_from_sent(unique_count);
  std::vector<int64_t> ids_to_send(unique_count);
  for (size_t u = 0; u < unique_count; ++u) {
    const size_t slot = next[owner_of(unique[u])]++;
    exchange.send_order[slot] = static_cast<int32_t>(u);
    unique_from_sent[u] = static_cast<int32_t>(slot);
    ids_to_send[slot] = unique[u];
  }

  // How many ids each rank will ask of us, and which: host data, over the host communicator.
  const std::vector<int64_t> counts_out(exchange.send_counts.begin(), exchange.send_counts.end());
  std::vector<int64_t> counts_in(world_);
  host_communicator_.alltoall(counts_out.data(), 1, counts_in.data(), ElementType::kInt64);
  exchange.recv_counts.assign(counts_in.begin(), counts_in.end());
  std::vector<int64_t> requested_ids(total_of(exchange.recv_counts));
  host_communicator_.alltoallv(ids_to_send.data(), exchange.send_counts, requested_ids.data(),
                               exchange.recv_counts, ElementType::kInt64);
  const size_t requested = requested_ids.size();
  exchange.requested_rows.resize(requested);
  for (size_t i = 0; i < requested; ++i) {
    REQUIRE(requested_ids[i] >= 0 && requested_ids[i] < options_.num_items &&
                owner_of(requested_ids[i]) == rank_,
            "sharded embedding: rank " << rank_ << " was asked for id " << requested_ids[i]
                                       << ", which it does not own");
    exchange.requested_rows[i] = static_cast<int32_t>(local_row_of(requested_ids[i]));
  }
  exchange.send_order_device = to_device(backend_, exchange.send_order);
  exchange.unique_from_sent_device = to_device(backend_, unique_from_sent);
  exchange.requested_rows_device = to_device(backend_, exchange.requested_rows);
}

void ShardedEmbedding::gather_rows(const RowExchange& exchange, float* rows_to_send) {
  const int64_t requested = static_cast<int64_t>(exchange.requested_rows.size());
  if (requested == 0) return;
  // Rows read are caught up with the prior first (no-op without one).
  if (prior_) prior_catch_up_rows(exchange.requested_rows.data(), requested);
  backend_.embedding_forward(rows_to_send, table_.data<float>(),
                             exchange.requested_rows_device.data<int32_t>(), requested,
                             options_.dim, local_rows_);
}

void ShardedEmbedding::return_rows(const RowExchange& exchange, const float* rows_to_send,
                                   float* rows) {
  const int64_t dim = options_.dim;
  const int64_t unique_count = static_cast<int64_t>(exchange.unique_ids.size());
  // Rows arrive grouped by owner, in the order the ids were sent.
  Tensor received(backend_, {unique_count, dim}, DType::kFloat32);
  communicator_.alltoallv(rows_to_send, scaled(exchange.recv_counts, dim), received.raw(),
                          scaled(exchange.send_counts, dim), ElementType::kFloat32);
  if (unique_count == 0) return;
  backend_.embedding_forward(rows, received.data<float>(),
                             exchange.unique_from_sent_device.data<int32_t>(), unique_count, dim,
                             unique_count);
}

RowExchange ShardedEmbedding::lookup(const int64_t* ids, int64_t count, Tensor& rows) {
  RowExchange exchange = dedup_ids(ids, count);
  fetch_rows(exchange, rows);
  return exchange;
}

RowExchange ShardedEmbedding::lookup_unique(std::vector<int64_t> unique_ids, Tensor& rows) {
  RowExchange exchange = from_unique_ids(std::move(unique_ids));
  fetch_rows(exchange, rows);
  return exchange;
}

void ShardedEmbedding::fetch_rows(RowExchange& exchange, Tensor& rows) {
  exchange_ids(exchange);
  if (world_ == 1) {
    // This rank asked itself for its unique ids in order: gather straight into the rows.
    rows = Tensor(backend_, {static_cast<int64_t>(exchange.unique_ids.size()), options_.dim},
                  DType::kFloat32);
    gather_rows(exchange, rows.empty() ? nullptr : rows.data<float>());
    return;
  }
  Tensor to_send(backend_, {static_cast<int64_t>(exchange.requested_rows.size()), options_.dim},
                 DType::kFloat32);
  gather_rows(exchange, to_send.empty() ? nullptr : to_send.data<float>());
  rows = Tensor(backend_, {static_cast<int64_t>(exchange.unique_ids.size()), options_.dim},
                DType::kFloat32);
  return_rows(exchange, to_send.empty() ? nullptr : to_send.data<float>(),
              rows.empty() ? nullptr : rows.data<float>());
}

// ---- backward -----------------------------------------------------------------------------

RowGradients ShardedEmbedding::reduce_row_grads(const RowExchange& exchange, const float* drows) {
  const int64_t dim = options_.dim;
  const int64_t unique_count = static_cast<int64_t>(exchange.unique_ids.size());
  const int64_t requested = static_cast<int64_t>(exchange.requested_rows.size());
  // Pieces arrive grouped by requester, in the order of requested_rows.
  Tensor pieces(backend_, {requested, dim}, DType::kFloat32);
  if (world_ == 1) {
    // Sent to itself in unique order: the pieces are drows as they lie.
    if (requested > 0) {
      backend_.copy_on_device(pieces.raw(), drows,
                              static_cast<size_t>(requested * dim) * sizeof(float));
    }
  } else {
    // Each unique id's gradient, in the order its id was sent to the owner.
    Tensor to_send(backend_, {unique_count, dim}, DType::kFloat32);
    if (unique_count > 0) {
      backend_.embedding_forward(to_send.data<float>(), drows,
                                 exchange.send_order_device.data<int32_t>(), unique_count, dim,
                                 unique_count);
    }
    communicator_.alltoallv(to_send.raw(), scaled(exchange.send_counts, dim), pieces.raw(),
                            scaled(exchange.recv_counts, dim), ElementType::kFloat32);
  }

  // Each row's pieces, in requester order: sorted by local row, stable.
  const std::vector<int32_t> order = order_by_row(exchange.requested_rows, exchange.recv_counts);
  RowGradients result;
  std::vector<int64_t> offsets;
  for (int64_t i = 0; i < requested; ++i) {
    const int32_t row = exchange.requested_rows[order[i]];
    if (result.rows.empty() || result.rows.back() != row) {
      result.rows.push_back(row);
      offsets.push_back(i);
    }
  }
  offsets.push_back(requested);
  const int64_t touched = static_cast<int64_t>(result.rows.size());
  result.rows_device = to_device(backend_, result.rows);
  if (touched == requested) {
    // One piece per row, in row order already (always so with one rank): the pieces are the
    // row gradients.
    bool in_order = true;
    for (int64_t i = 0; i < requested && in_order; ++i) in_order = order[i] == i;
    if (in_order) {
      result.gradients = std::move(pieces);
      return result;
    }
  }
  result.gradients = Tensor(backend_, {touched, dim}, DType::kFloat32);
  if (touched == 0) return result;
  Tensor order_device = to_device(backend_, order);
  Tensor sorted_pieces(backend_, {requested, dim}, DType::kFloat32);
  backend_.embedding_forward(sorted_pieces.data<float>(), pieces.data<float>(),
                             order_device.data<int32_t>(), requested, dim, requested);
  Tensor offsets_device = to_device(backend_, offsets);
  backend_.segment_sum(result.gradients.data<float>(), sorted_pieces.data<float>(),
                       offsets_device.data<int64_t>(), touched, dim);
  return result;
}

void ShardedEmbedding::apply_row_gradients(const RowGradients& gradients, float learning_rate) {
  const int64_t touched = static_cast<int64_t>(gradients.rows.size());
  prior_before_update(learning_rate, gradients.rows.data(), touched);
  optimizer_.step(table_.empty() ? nullptr : table_.data<float>(),
                  touched > 0 ? gradients.rows_device.data<int32_t>() : nullptr,
                  touched > 0 ? gradients.gradients.data<float>() : nullptr, touched,
                  learning_rate);
  prior_after_update();
}

float* ShardedEmbedding::local_gradients() {
  if (local_gradients_.empty() && local_rows_ > 0) {
    local_gradients_ = Tensor(backend_, {local_rows_, options_.dim}, DType::kFloat32);
    local_gradients_.zero();
    std::vector<int32_t> rows(static_cast<size_t>(local_rows_));
    std::iota(rows.begin(), rows.end(), 0);
    all_local_rows_ = to_device(backend_, rows);
  }
  local_gradients_used_ = true;
  return local_gradients_.empty() ? nullptr : local_gradients_.data<float>();
}

void ShardedEmbedding::backward_and_update(const RowExchange& exchange, const float* drows,
                                           float learning_rate) {
  RowGradients gradients = reduce_row_grads(exchange, drows);
  if (!local_gradients_used_) {
    apply_row_gradients(gradients, learning_rate);
    return;
  }
  // The whole shard has gradients this step: fold the touched rows' into them, update all.
  local_gradients_used_ = false;
  const int64_t touched = static_cast<int64_t>(gradients.rows.size());
  if (touched > 0) {
    backend_.embedding_backward(local_gradients_.data<float>(), gradients.gradients.data<float>(),
                                gradients.rows_device.data<int32_t>(), touched, options_.dim,
                                local_rows_);
  }
  prior_before_update(learning_rate, nullptr, local_rows_);
  optimizer_.step(table_.empty() ? nullptr : table_.data<float>(),
                  local_rows_ > 0 ? all_local_rows_.data<int32_t>() : nullptr,
                  local_rows_ > 0 ? local_gradients_.data<float>() : nullptr, local_rows_,
                  learning_rate);
  prior_after_update();
  if (local_rows_ > 0) local_gradients_.zero();
}

// ---- checkpoints --------------------------------------------------------------------------

std::vector<std::string> ShardedEmbedding::row_table_names() const {
  std::vector<std::string> names = {"weights"};
  for (const std::string& name : optimizer_.state_names()) names.push_back(name);
  return names;
}

Tensor& ShardedEmbedding::row_table(size_t table) {
  REQUIRE(table <= optimizer_.state_names().size(), "sharded embedding: no row table "
                                                        << table << " (" << row_table_names().size()
                                                        << " tables)");
  return table == 0 ? table_ : optimizer_.state(table - 1);
}

int64_t ShardedEmbedding::owned_below(int64_t item_limit, int rank) const {
  return item_limit > rank ? (item_limit - rank + world_ - 1) / world_ : 0;
}

void ShardedEmbedding::collect_rows(size_t table, const RowSink& sink, int64_t chunk_rows) {
  REQUIRE(chunk_rows > 0, "collect_rows: chunk_rows must be positive, got " << chunk_rows);
  flush_prior();  // the rows as the prior has them now: a checkpoint holds no lazy state
  Tensor& rows = row_table(table);
  const int64_t dim = options_.dim;
  const int64_t chunk_capacity = std::min(chunk_rows, options_.num_items);
  Tensor received(backend_, {rank_ == 0 ? chunk_capacity : 0, dim}, DType::kFloat32);
  std::vector<float> received_host, ordered;
  for (int64_t first = 0; first < options_.num_items; first += chunk_rows) {
    const int64_t count = std::min(chunk_rows, options_.num_items - first);
    const int64_t lowest = owned_below(first, rank_);
    const int64_t own = owned_below(first + count, rank_) - lowest;
    // This rank's rows of the chunk are consecutive local rows: sent as they lie.
    std::vector<size_t> send_counts(world_, 0);
    send_counts[0] = static_cast<size_t>(own * dim);
    std::vector<size_t> recv_counts(world_, 0);
    if (rank_ == 0) {
      for (int r = 0; r < world_; ++r)
        recv_counts[r] =
            static_cast<size_t>((owned_below(first + count, r) - owned_below(first, r)) * dim);
    }
    communicator_.alltoallv(own > 0 ? row_pointer(rows, lowest, dim) : nullptr, send_counts,
                            received.raw(), recv_counts, ElementType::kFloat32);
    if (rank_ != 0) continue;
    received_host.resize(count * dim);
    backend_.copy_to_host(received_host.data(), received.raw(),
                          received_host.size() * sizeof(float));
    // Interleave the owners' blocks into item order.
    ordered.resize(count * dim);
    size_t block_start = 0;
    for (int r = 0; r < world_; ++r) {
      const int64_t first_row = owned_below(first, r);
      const int64_t block_rows = owned_below(first + count, r) - first_row;
      for (int64_t k = 0; k < block_rows; ++k) {
        const int64_t item = (first_row + k) * world_ + r;
        std::copy_n(received_host.begin() + block_start + k * dim, dim,
                    ordered.begin() + (item - first) * dim);
      }
      block_start += block_rows * dim;
    }
    sink(first, count, ordered.data());
  }
}

void ShardedEmbedding::scatter_rows(size_t table, const RowSource& source, int64_t chunk_rows) {
  REQUIRE(chunk_rows > 0, "scatter_rows: chunk_rows must be positive, got " << chunk_rows);
  Tensor& rows = row_table(table);
  const int64_t dim = options_.dim;
  const int64_t chunk_capacity = std::min(chunk_rows, options_.num_items);
  Tensor staged(backend_, {rank_ == 0 ? chunk_capacity : 0, dim}, DType::kFloat32);
  std::vector<float> ordered, grouped;
  for (int64_t first = 0; first < options_.num_items; first += chunk_rows) {
    const int64_t count = std::min(chunk_rows, options_.num_items - first);
    std::vector<size_t> send_counts(world_, 0);
    if (rank_ == 0) {
      ordered.assign(count * dim, 0.0f);
      source(first, count, ordered.data());
      // Group item-ordered rows by owner.
      grouped.resize(count * dim);
      size_t block_start = 0;
      for (int r = 0; r < world_; ++r) {
        const int64_t first_row = owned_below(first, r);
        const int64_t block_rows = owned_below(first + count, r) - first_row;
        for (int64_t k = 0; k < block_rows; ++k) {
          const int64_t item = (first_row + k) * world_ + r;
          std::copy_n(ordered.begin() + (item - first) * dim, dim,
                      grouped.begin() + block_start + k * dim);
        }
        block_start += block_rows * dim;
        send_counts[r] = static_cast<size_t>(block_rows * dim);
      }
      backend_.copy_to_device(staged.raw(), grouped.data(), grouped.size() * sizeof(float));
    }
    const int64_t lowest = owned_below(first, rank_);
    const int64_t own = owned_below(first + count, rank_) - lowest;
    std::vector<size_t> recv_counts(world_, 0);
    recv_counts[0] = static_cast<size_t>(own * dim);
    communicator_.alltoallv(staged.raw(), send_counts,
                            own > 0 ? row_pointer(rows, lowest, dim) : nullptr, recv_counts,
                            ElementType::kFloat32);
  }
  // New rows: caught up as they are (the writer flushed them).
  if (table == 0 && prior_) prior_->restart_clock();
}

}  // namespace slatetrain
