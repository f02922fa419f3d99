#include "dist/topk_merge.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "core/error.hpp"
#include "core/tensor.hpp"

namespace slatetrain {
namespace {

// Sort key: empty slots and NaN scores rank below every real candidate.
bool better(float score_a, int32_t item_a, float score_b, int32_t item_b) {
  const bool empty_a = item_a < 0 || std::isnan(score_a);
  const bool empty_b = item_b < 0 || std::isnan(score_b);
  if (empty_a != empty_b) return empty_b;
  if (empty_a) return item_a > item_b;  // any fixed order among empty slots
  if (score_a != score_b) return score_a > score_b;
  return item_a < item_b;
}

}  // namespace

void columns_to_items(std::vector<int32_t>& columns, int rank, int world, int64_t first_local_row) {
  for (int32_t& column : columns) {
    if (column < 0) continue;
    const int64_t item = (first_local_row + column) * world + rank;
    REQUIRE(item <= std::numeric_limits<int32_t>::max(),
            "top-k on rank " << rank << ": item " << item << " does not fit in int32");
    column = static_cast<int32_t>(item);
  }
}

void best_k(const float* scores, const int32_t* items, int64_t candidates, int64_t k,
            float* out_scores, int32_t* out_items) {
  std::vector<int64_t> order(candidates);
  std::iota(order.begin(), order.end(), 0);
  const int64_t kept = std::min(k, candidates);
  std::partial_sort(order.begin(), order.begin() + kept, order.end(), [&](int64_t a, int64_t b) {
    return better(scores[a], items[a], scores[b], items[b]);
  });
  for (int64_t i = 0; i < k; ++i) {
    const bool real = i < kept && items[order[i]] >= 0 && !std::isnan(scores[order[i]]);
    out_scores[i] = real ? scores[order[i]] : -std::numeric_limits<float>::infinity();
    out_items[i] = real ? items[order[i]] : -1;
  }
}

TopK merge_top_k(Communicator& communicator, Backend& backend, const TopK& local) {
  const int64_t users = local.users;
  const int64_t k = local.k;
  const size_t count = static_cast<size_t>(users * k);
  REQUIRE(local.scores.size() == count && local.items.size() == count,
          "top-k merge on rank " << communicator.rank() << ": " << users << " users x " << k
                                 << " needs " << count << " entries, got " << local.scores.size()
                                 << " scores and " << local.items.size() << " items");
  // Every rank must merge the same shape: the max of (x, -x) gives both the max and the min.
  int64_t extremes[4] = {users, k, -users, -k};
  communicator.allreduce(extremes, 4, ReduceOp::kMax);
  REQUIRE(extremes[0] == -extremes[2] && extremes[1] == -extremes[3],
          "top-k merge on rank " << communicator.rank() << ": ranks disagree on the shape (users "
                                 << -extremes[2] << ".." << extremes[0] << ", k " << -extremes[3]
                                 << ".." << extremes[1] << ")");
  const int world = communicator.world_size();
  const int64_t total = static_cast<int64_t>(count) * world;
  // Through device buffers: the communicator may be NCCL.
  Tensor send_scores(backend, {static_cast<int64_t>(count)}, DType::kFloat32);
  Tensor send_items(backend, {static_cast<int64_t>(count)}, DType::kInt32);
  Tensor all_scores_device(backend, {total}, DType::kFloat32);
  Tensor all_items_device(backend, {total}, DType::kInt32);
  std::vector<float> all_scores(total);
  std::vector<int32_t> all_items(total);
  if (count > 0) {
    send_scores.copy_from_host(local.scores);
    send_items.copy_from_host(local.items);
    communicator.allgather(send_scores.raw(), count, all_scores_device.raw(),
                           ElementType::kFloat32);
    communicator.allgather(send_items.raw(), count, all_items_device.raw(), ElementType::kInt32);
    all_scores = all_scores_device.to_host<float>();
    all_items = all_items_device.to_host<int32_t>();
  }
  TopK merged;
  merged.users = users;
  merged.k = k;
  merged.scores.resize(count);
  merged.items.resize(count);
  std::vector<float> candidate_scores(static_cast<size_t>(world * k));
  std::vector<int32_t> candidate_items(static_cast<size_t>(world * k));
  for (int64_t u = 0; u < users; ++u) {
    for (int r = 0; r < world; ++r) {
      const size_t from = static_cast<size_t>(r) * count + u * k;
      std::copy_n(all_scores.begin() + from, k, candidate_scores.begin() + r * k);
      std::copy_n(all_items.begin() + from, k, candidate_items.begin() + r * k);
    }
    best_k(candidate_scores.data(), candidate_items.data(), world * k, k,
           merged.scores.data() + u * k, merged.items.data() + u * k);
  }
  return merged;
}

}  // namespace slatetrain
