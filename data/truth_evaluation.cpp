#include "data/truth_evaluation.hpp"

#include <cblas.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <thread>

#include "core/progress.hpp"

namespace slatetrain {

namespace {

// The ranking vectors: item i's row is [scale * e_i, (popularity_weight + 1) * log w_i], a
// user's is [u, 1], so one dot product is the propensity.
constexpr int kRankDimension = kTasteDimension + 1;
constexpr int kUsersPerBlock = 32;
constexpr int64_t kItemsPerBlock = 4096;

std::vector<float> ranking_item_matrix(const GeneratorWorld& world) {
  const ChoiceModel& choice = world.choice();
  const int64_t real_items = world.num_items() - 3;
  std::vector<float> matrix(size_t(real_items) * kRankDimension);
  for (int64_t i = 0; i < real_items; ++i) {
    const float* e = world.item_vector(i + 3);
    float* row = &matrix[size_t(i) * kRankDimension];
    for (int d = 0; d < kTasteDimension; ++d) row[d] = static_cast<float>(choice.scale * e[d]);
    row[kTasteDimension] =
        static_cast<float>((choice.popularity_weight + 1.0) * world.item_log_popularity(i + 3));
  }
  return matrix;
}

struct UserCounts {
  int64_t hits_at_10 = 0, hits_at_20 = 0;
};

// Ranks a block of users over the whole catalogue; returns per user the hits at 10 and 20.
void rank_block(const std::vector<float>& items, int64_t real_items,
                const std::vector<const HeldOutUser*>& block, int t_testsplit,
                std::vector<UserCounts>& counts) {
  const int n = static_cast<int>(block.size());
  const size_t keep = size_t(20 + std::max(t_testsplit, 0));
  std::vector<float> users(size_t(n) * kRankDimension);
  for (int u = 0; u < n; ++u) {
    std::copy(block[u]->state_at_cut.taste, block[u]->state_at_cut.taste + kTasteDimension,
              &users[size_t(u) * kRankDimension]);
    users[size_t(u) * kRankDimension + kTasteDimension] = 1.0f;
  }
  using Entry = std::pair<float, int64_t>;  // score, item
  std::vector<std::vector<Entry>> heaps(n);
  std::vector<float> thresholds(n, -INFINITY);
  std::vector<float> scores(size_t(n) * kItemsPerBlock);
  const auto worse = [](const Entry& a, const Entry& b) { return a.first > b.first; };
  for (int64_t first = 0; first < real_items; first += kItemsPerBlock) {
    const int64_t width = std::min(kItemsPerBlock, real_items - first);
    // shapes: scores [n, width] = users [n, R] x items[first:first+width, R]^T
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, int(width), kRankDimension, 1.0f,
                users.data(), kRankDimension, &items[size_t(first) * kRankDimension],
                kRankDimension, 0.0f, scores.data(), int(width));
    for (int u = 0; u < n; ++u) {
      const float* row = &scores[size_t(u) * width];
      auto& heap = heaps[u];
      float threshold = thresholds[u];
      const auto& excluded = block[u]->clicked_before_cut;
      for (int64_t j = 0; j < width; ++j) {
        if (row[j] <= threshold) continue;
        const int64_t item = first + j + 3;
        if (std::find(excluded.begin(), excluded.end(), item) != excluded.end()) continue;
        heap.emplace_back(row[j], item);
        std::push_heap(heap.begin(), heap.end(), worse);
        if (heap.size() > keep) {
          std::pop_heap(heap.begin(), heap.end(), worse);
          heap.pop_back();
        }
        if (heap.size() == keep) threshold = heap.front().first;
      }
      thresholds[u] = threshold;
    }
  }
  for (int u = 0; u < n; ++u) {
    auto& heap = heaps[u];
    std::sort(heap.begin(), heap.end(), [](const Entry& a, const Entry& b) {
      return a.first != b.first ? a.first > b.first : a.second < b.second;
    });
    for (const int64_t click : block[u]->later_clicks) {
      for (size_t r = 0; r < std::min<size_t>(20, heap.size()); ++r) {
        if (heap[r].second == click) {
          counts[u].hits_at_20 += 1;
          if (r < 10) counts[u].hits_at_10 += 1;
          break;
        }
      }
    }
  }
}

}  // namespace

TruthMetrics evaluate_truth(const GeneratorWorld& world, const std::vector<HeldOutUser>& users,
                            int t_testsplit, int64_t max_ranked_users, int threads) {
  TruthMetrics metrics;
  metrics.held_out_users = static_cast<int64_t>(users.size());
  double loglik_sum = 0;
  std::vector<const HeldOutUser*> ranked;
  for (const HeldOutUser& user : users) {
    loglik_sum += user.loglik_sum;
    metrics.loglik_steps += user.loglik_steps;
    if (!user.later_clicks.empty() &&
        (max_ranked_users == 0 || static_cast<int64_t>(ranked.size()) < max_ranked_users))
      ranked.push_back(&user);
  }
  metrics.loglik = metrics.loglik_steps > 0 ? loglik_sum / double(metrics.loglik_steps) : 0.0;
  metrics.ranked_users = static_cast<int64_t>(ranked.size());
  if (ranked.empty()) return metrics;

  const std::vector<float> items = ranking_item_matrix(world);
  const int64_t real_items = world.num_items() - 3;
  const int64_t blocks = (metrics.ranked_users + kUsersPerBlock - 1) / kUsersPerBlock;
  std::vector<UserCounts> counts(ranked.size());
  std::atomic<int64_t> next_block{0}, done_users{0};
  // Our threads each run a single-threaded sgemm.
  const int blas_threads = openblas_get_num_threads();
  openblas_set_num_threads(1);
  Progress progress("truth", metrics.ranked_users, "users");
  auto worker = [&]() {
    std::vector<UserCounts> block_counts;
    while (true) {
      const int64_t b = next_block.fetch_add(1);
      if (b >= blocks) break;
      const int64_t first = b * kUsersPerBlock;
      const int64_t last = std::min(metrics.ranked_users, first + kUsersPerBlock);
      std::vector<const HeldOutUser*> block(ranked.begin() + first, ranked.begin() + last);
      block_counts.assign(block.size(), UserCounts{});
      rank_block(items, real_items, block, t_testsplit, block_counts);
      std::copy(block_counts.begin(), block_counts.end(), counts.begin() + first);
      done_users += last - first;
    }
  };
  std::vector<std::thread> pool;
  for (int i = 1; i < threads; ++i) pool.emplace_back(worker);
  // The calling thread works too and reports progress between its blocks.
  std::thread reporter;
  std::atomic<bool> finished{false};
  reporter = std::thread([&]() {
    while (!finished) {
      progress.update(done_users.load());
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  });
  worker();
  for (auto& thread : pool) thread.join();
  finished = true;
  reporter.join();
  progress.finish();
  openblas_set_num_threads(blas_threads);

  int64_t hit_users_10 = 0, hit_users_20 = 0, hits_20 = 0;
  for (const UserCounts& c : counts) {
    hit_users_10 += c.hits_at_10 > 0;
    hit_users_20 += c.hits_at_20 > 0;
    hits_20 += c.hits_at_20;
  }
  const double n = static_cast<double>(metrics.ranked_users);
  metrics.hitrate_at_10 = hit_users_10 / n;
  metrics.hitrate_at_20 = hit_users_20 / n;
  metrics.hits_at_20 = hits_20 / n;
  return metrics;
}

nlohmann::json truth_metrics_json(const TruthMetrics& metrics) {
  return nlohmann::json{{"loglik", metrics.loglik},
                        {"hitrate@10", metrics.hitrate_at_10},
                        {"hitrate@20", metrics.hitrate_at_20},
                        {"hits@20", metrics.hits_at_20},
                        {"users", metrics.ranked_users},
                        {"held_out_users", metrics.held_out_users},
                        {"steps", metrics.loglik_steps}};
}

}  // namespace slatetrain
