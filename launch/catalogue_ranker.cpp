#include "launch/catalogue_ranker.hpp"

#include <algorithm>
#include <limits>

#include "core/error.hpp"
#include "core/tensor.hpp"
#include "launch/rank_gather.hpp"

namespace slatetrain {

CatalogueRanker::CatalogueRanker(Communicator& host, Communicator& device_communicator,
                                 Backend& backend, ShardedEmbedding& embedding, IdConventions ids,
                                 int64_t score_budget_floats)
    : host_(host),
      device_communicator_(device_communicator),
      backend_(backend),
      embedding_(embedding),
      ids_(ids),
      score_budget_floats_(score_budget_floats) {}

TopK CatalogueRanker::rank(const std::vector<float>& user_vectors,
                           const std::vector<std::vector<int64_t>>& excluded, int k) {
  const int world = host_.world_size();
  const int rank = host_.rank();
  const int64_t dim = embedding_.dim();
  const int64_t n = static_cast<int64_t>(excluded.size());
  REQUIRE(static_cast<int64_t>(user_vectors.size()) == n * dim,
          "CatalogueRanker on rank " << rank << ": " << user_vectors.size()
                                     << " user vector floats for " << n << " users of " << dim);
  TopK mine;
  mine.users = n;
  mine.k = k;

  // Everyone's users: vectors and exclusions, in rank order.
  const auto counts = gather_counts(host_, n);
  std::vector<int64_t> first_user(static_cast<size_t>(world) + 1, 0);
  for (int r = 0; r < world; ++r) first_user[r + 1] = first_user[r] + counts[r];
  const int64_t total = first_user[world];
  if (total == 0) return mine;
  const std::vector<float> all_vectors = gather_all(host_, user_vectors);
  std::vector<int64_t> excluded_counts(static_cast<size_t>(n)), excluded_flat;
  for (int64_t u = 0; u < n; ++u) {
    excluded_counts[u] = static_cast<int64_t>(excluded[u].size());
    excluded_flat.insert(excluded_flat.end(), excluded[u].begin(), excluded[u].end());
  }
  const std::vector<int64_t> all_excluded_counts = gather_all(host_, excluded_counts);
  const std::vector<int64_t> all_excluded = gather_all(host_, excluded_flat);

  // This rank's exclusions as local rows: the user's items it owns, and the ids below the
  // first item.
  std::vector<int64_t> always_excluded;
  for (int64_t row = 0; row < embedding_.local_rows(); ++row) {
    if (ids_.is_item(embedding_.item_of_local_row(row))) break;
    always_excluded.push_back(row);
  }
  std::vector<std::vector<int64_t>> excluded_rows(static_cast<size_t>(total), always_excluded);
  for (int64_t u = 0, at = 0; u < total; ++u) {
    for (int64_t e = 0; e < all_excluded_counts[u]; ++e, ++at) {
      const int64_t item = all_excluded[static_cast<size_t>(at)];
      if (item >= 0 && item < embedding_.num_items() && embedding_.owner_of(item) == rank)
        excluded_rows[u].push_back(embedding_.local_row_of(item));
    }
    std::sort(excluded_rows[u].begin(), excluded_rows[u].end());
  }

  // Score this rank's rows in chunks, keeping the best k per user so far.
  const int64_t local_rows = embedding_.local_rows();
  const int64_t chunk_rows = std::max<int64_t>(
      1, std::min<int64_t>(local_rows, score_budget_floats_ / std::max<int64_t>(1, total)));
  Tensor users_device(backend_, {total, dim}, DType::kFloat32);
  users_device.copy_from_host(all_vectors);
  Tensor scores(backend_, {total, std::max<int64_t>(1, chunk_rows)}, DType::kFloat32);
  Tensor top_scores(backend_, {total, k}, DType::kFloat32);
  Tensor top_columns(backend_, {total, k}, DType::kInt32);
  std::vector<float> best_scores(static_cast<size_t>(total * k),
                                 -std::numeric_limits<float>::infinity());
  std::vector<int32_t> best_items(static_cast<size_t>(total * k), -1);
  std::vector<float> candidate_scores(static_cast<size_t>(2 * k));
  std::vector<int32_t> candidate_items(static_cast<size_t>(2 * k));
  const float* table = embedding_.table().data<float>();
  for (int64_t first = 0; first < local_rows; first += chunk_rows) {
    const int64_t columns = std::min(chunk_rows, local_rows - first);
    const int64_t chunk_k = std::min<int64_t>(k, columns);
    backend_.gemm(false, true, total, columns, dim, 1.0f, users_device.data<float>(),
                  table + first * dim, 0.0f, scores.data<float>());
    // The chunk's exclusions in CSR, columns relative to the chunk.
    std::vector<int64_t> offsets(static_cast<size_t>(total) + 1, 0);
    std::vector<int32_t> excluded_columns;
    for (int64_t u = 0; u < total; ++u) {
      const auto& rows = excluded_rows[u];
      for (auto it = std::lower_bound(rows.begin(), rows.end(), first);
           it != rows.end() && *it < first + columns; ++it) {
        excluded_columns.push_back(static_cast<int32_t>(*it - first));
      }
      offsets[u + 1] = static_cast<int64_t>(excluded_columns.size());
    }
    Tensor offsets_device(backend_, {total + 1}, DType::kInt64);
    offsets_device.copy_from_host(offsets);
    Tensor columns_device(backend_, {std::max<int64_t>(1, offsets.back())}, DType::kInt32);
    if (!excluded_columns.empty()) {
      backend_.copy_to_device(columns_device.data<int32_t>(), excluded_columns.data(),
                              excluded_columns.size() * sizeof(int32_t));
    }
    // top_k writes [total, chunk_k]; reuse the [total, k] buffers with that row stride.
    backend_.top_k(top_scores.data<float>(), top_columns.data<int32_t>(), scores.data<float>(),
                   total, columns, chunk_k, offsets_device.data<int64_t>(),
                   columns_device.data<int32_t>());
    std::vector<float> chunk_scores(static_cast<size_t>(total * chunk_k));
    std::vector<int32_t> chunk_items(static_cast<size_t>(total * chunk_k));
    backend_.copy_to_host(chunk_scores.data(), top_scores.data<float>(),
                          chunk_scores.size() * sizeof(float));
    backend_.copy_to_host(chunk_items.data(), top_columns.data<int32_t>(),
                          chunk_items.size() * sizeof(int32_t));
    columns_to_items(chunk_items, rank, world, first);
    for (int64_t u = 0; u < total; ++u) {
      std::copy_n(best_scores.begin() + u * k, k, candidate_scores.begin());
      std::copy_n(best_items.begin() + u * k, k, candidate_items.begin());
      std::copy_n(chunk_scores.begin() + u * chunk_k, chunk_k, candidate_scores.begin() + k);
      std::copy_n(chunk_items.begin() + u * chunk_k, chunk_k, candidate_items.begin() + k);
      best_k(candidate_scores.data(), candidate_items.data(), k + chunk_k, k,
             best_scores.data() + u * k, best_items.data() + u * k);
    }
  }

  TopK local;
  local.users = total;
  local.k = k;
  local.scores = std::move(best_scores);
  local.items = std::move(best_items);
  const TopK merged = merge_top_k(device_communicator_, backend_, local);
  const auto from = static_cast<size_t>(first_user[rank] * k);
  const auto count = static_cast<size_t>(n * k);
  mine.scores.assign(merged.scores.begin() + from, merged.scores.begin() + from + count);
  mine.items.assign(merged.items.begin() + from, merged.items.begin() + from + count);
  return mine;
}

}  // namespace slatetrain
