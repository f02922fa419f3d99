#include "launch/index_ranker.hpp"

#include <algorithm>
#include <exception>
#include <utility>

#include "core/error.hpp"
#include "dist/checkpoint_file.hpp"
#include "launch/rank_gather.hpp"

namespace slatetrain {

IndexRanker::IndexRanker(Communicator& host, const std::string& path,
                         const std::string& checkpoint_path, const CheckpointHeader& checkpoint,
                         const std::string& dataset_id, int64_t num_items, int64_t dim,
                         int ef_search, int64_t probes)
    : host_(host), dim_(dim) {
  header_ = read_item_index_header(path);
  require_index_of_checkpoint(header_, path, checkpoint_path, checkpoint.run_id, checkpoint.step,
                              dataset_id, num_items, dim);
  std::string failure;
  if (host_.rank() == 0) {
    try {
      ItemIndexFile file = read_item_index_file(path);
      index_ = std::make_unique<ItemIndex>(std::move(file.index));
      if (ef_search > 0) index_->set_ef_search(ef_search);
      if (probes > 0) index_->set_probes(probes);
    } catch (const std::exception& error) {
      failure = error.what();
    }
  }
  throw_root_failure(host_, failure);
}

IndexRanker::~IndexRanker() = default;

TopK IndexRanker::rank(const std::vector<float>& user_vectors,
                       const std::vector<std::vector<int64_t>>& excluded, int k) {
  const int64_t users = static_cast<int64_t>(user_vectors.size()) / dim_;
  REQUIRE(static_cast<int64_t>(excluded.size()) == users,
          "exclusions for " << excluded.size() << " users, " << users << " user vectors");
  const std::vector<int64_t> user_counts = gather_counts(host_, users);
  const std::vector<float> all_vectors = gather_all(host_, user_vectors);
  std::vector<int64_t> excluded_counts(static_cast<size_t>(users));
  std::vector<int64_t> excluded_flat;
  for (int64_t u = 0; u < users; ++u) {
    excluded_counts[u] = static_cast<int64_t>(excluded[u].size());
    excluded_flat.insert(excluded_flat.end(), excluded[u].begin(), excluded[u].end());
  }
  const std::vector<int64_t> all_counts = gather_all(host_, excluded_counts);
  const std::vector<int64_t> all_excluded = gather_all(host_, excluded_flat);
  const int64_t total = static_cast<int64_t>(all_counts.size());

  std::vector<int32_t> items(static_cast<size_t>(total * k), -1);
  std::vector<float> scores(static_cast<size_t>(total * k));
  std::string failure;
  if (host_.rank() == 0 && total > 0) {
    try {
      std::vector<std::vector<int64_t>> lists(static_cast<size_t>(total));
      for (int64_t u = 0, at = 0; u < total; ++u) {
        lists[u].assign(all_excluded.begin() + at, all_excluded.begin() + at + all_counts[u]);
        at += all_counts[u];
      }
      const ItemRanking ranking = index_->search(all_vectors.data(), total, k, lists);
      for (size_t i = 0; i < items.size(); ++i) {
        items[i] = static_cast<int32_t>(ranking.items[i]);
        scores[i] = ranking.scores[i];
      }
    } catch (const std::exception& error) {
      failure = error.what();
    }
  }
  throw_root_failure(host_, failure);
  if (total > 0) {
    host_.broadcast(items.data(), items.size(), ElementType::kInt32, 0);
    host_.broadcast(scores.data(), scores.size(), ElementType::kFloat32, 0);
  }
  // This rank's users follow those of the ranks before it.
  int64_t first = 0;
  for (int r = 0; r < host_.rank(); ++r) first += user_counts[r];
  TopK top;
  top.users = users;
  top.k = k;
  top.items.assign(items.begin() + first * k, items.begin() + (first + users) * k);
  top.scores.assign(scores.begin() + first * k, scores.begin() + (first + users) * k);
  return top;
}

}  // namespace slatetrain
