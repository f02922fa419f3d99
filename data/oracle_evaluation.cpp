#include "data/oracle_evaluation.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <thread>
#include <unordered_set>

#include "core/error.hpp"
#include "core/progress.hpp"
#include "data/oracle_rollouts.hpp"

namespace slatetrain {

namespace {

// Per user, in the order of oracle_metric_names(): the two rankings' metrics.
constexpr int kMetrics = 6;
constexpr int kLargestCutoff = 20;

// The FINN-protocol figures of models/ranking_metrics.cpp for one user: hits@k counts every
// later click in the top k (repeats too), hitrate@k whether there is one, NDCG@k over the
// distinct later clicks.
struct CutoffFigures {
  double hits = 0;
  double ndcg = 0;
};

CutoffFigures cutoff_figures(const std::vector<int64_t>& top, int k,
                             const std::vector<int64_t>& later_clicks) {
  const size_t depth = std::min<size_t>(size_t(k), top.size());
  CutoffFigures figures;
  for (const int64_t click : later_clicks)
    figures.hits += std::find(top.begin(), top.begin() + std::ptrdiff_t(depth), click) !=
                    top.begin() + std::ptrdiff_t(depth);
  const std::unordered_set<int64_t> relevant(later_clicks.begin(), later_clicks.end());
  double dcg = 0, ideal = 0;
  for (size_t i = 0; i < depth; ++i) {
    const double discount = 1.0 / std::log2(double(i) + 2.0);
    if (relevant.count(top[i])) dcg += discount;
    if (i < relevant.size()) ideal += discount;
  }
  figures.ndcg = ideal > 0 ? dcg / ideal : 0.0;
  return figures;
}

// hitrate@10, hitrate@20, hits@10, hits@20, ndcg@10, ndcg@20: hitrate and NDCG from the
// click-probability ranking, hits from the expected-clicks ranking.
void user_figures(const std::vector<int64_t>& by_probability,
                  const std::vector<int64_t>& by_expected, const std::vector<int64_t>& later_clicks,
                  double* out) {
  const CutoffFigures p10 = cutoff_figures(by_probability, 10, later_clicks);
  const CutoffFigures p20 = cutoff_figures(by_probability, 20, later_clicks);
  const CutoffFigures e10 = cutoff_figures(by_expected, 10, later_clicks);
  const CutoffFigures e20 = cutoff_figures(by_expected, 20, later_clicks);
  out[0] = p10.hits > 0;
  out[1] = p20.hits > 0;
  out[2] = e10.hits;
  out[3] = e20.hits;
  out[4] = p10.ndcg;
  out[5] = p20.ndcg;
}

struct UserResult {
  double values[kMetrics] = {};
  double monte_carlo_variance[kMetrics] = {};
};

// Rolls one user out, ranks, scores, and bootstraps the rollout batches.
class UserEvaluator {
 public:
  UserEvaluator(const GeneratorWorld& world, const OracleOptions& options)
      : world_(world), options_(options), rollouts_(world) {}

  void evaluate(const HeldOutUser& user, UserResult& result) {
    const int batches = static_cast<int>(std::min<int64_t>(options_.batches, options_.rollouts));
    Random random = oracle_rollout_random(options_.seed, user.user);
    rollouts_.run(user.state_at_cut, user.remaining_steps, options_.rollouts, batches, random);
    const int64_t touched = rollouts_.touched();
    items_.resize(size_t(touched));
    clicked_.resize(size_t(touched));
    expected_.resize(size_t(touched));
    for (int64_t k = 0; k < touched; ++k) {
      items_[size_t(k)] = rollouts_.item(k);
      clicked_[size_t(k)] = rollouts_.clicked_probability(k);
      expected_[size_t(k)] = rollouts_.expected_clicks(k);
    }
    score(user, result.values);

    // Bootstrap: resample the batches with replacement; a replicate's ranking needs only the
    // weighted sums (the common denominator does not reorder).
    const int replicates = options_.bootstrap_replicates;
    if (batches < 2 || replicates < 2) return;
    Random bootstrap = oracle_bootstrap_random(options_.seed, user.user);
    std::vector<double> weights(static_cast<size_t>(batches));
    double mean[kMetrics] = {}, squares[kMetrics] = {}, replicate[kMetrics];
    for (int r = 0; r < replicates; ++r) {
      std::fill(weights.begin(), weights.end(), 0.0);
      for (int b = 0; b < batches; ++b) weights[bootstrap.below(uint64_t(batches))] += 1.0;
      for (int64_t k = 0; k < touched; ++k) {
        const double* clicked = rollouts_.clicked_sums(k);
        const double* expected = rollouts_.expected_sums(k);
        double c = 0, e = 0;
        for (int b = 0; b < batches; ++b) {
          c += weights[size_t(b)] * clicked[b];
          e += weights[size_t(b)] * expected[b];
        }
        clicked_[size_t(k)] = c;
        expected_[size_t(k)] = e;
      }
      score(user, replicate);
      // Welford's running mean and sum of squared deviations.
      for (int m = 0; m < kMetrics; ++m) {
        const double delta = replicate[m] - mean[m];
        mean[m] += delta / double(r + 1);
        squares[m] += delta * (replicate[m] - mean[m]);
      }
    }
    for (int m = 0; m < kMetrics; ++m)
      result.monte_carlo_variance[m] = squares[m] / double(replicates - 1);
  }

 private:
  void score(const HeldOutUser& user, double* out) const {
    const std::vector<int64_t> by_probability = oracle_top_items(
        items_, clicked_, user.clicked_before_cut, kLargestCutoff, world_.num_items());
    const std::vector<int64_t> by_expected = oracle_top_items(
        items_, expected_, user.clicked_before_cut, kLargestCutoff, world_.num_items());
    user_figures(by_probability, by_expected, user.later_clicks, out);
  }

  const GeneratorWorld& world_;
  const OracleOptions& options_;
  OracleRollouts rollouts_;
  std::vector<int64_t> items_;
  std::vector<double> clicked_, expected_;  // [touched]
};

}  // namespace

const std::vector<std::string>& oracle_metric_names() {
  static const std::vector<std::string> names{"hitrate@10", "hitrate@20", "hits@10",
                                              "hits@20",    "ndcg@10",    "ndcg@20"};
  return names;
}

Random oracle_rollout_random(uint64_t seed, int64_t user) {
  return Random(hash_mix(seed, uint64_t(GeneratorStream::kOracleRollout), uint64_t(user)));
}

Random oracle_bootstrap_random(uint64_t seed, int64_t user) {
  return Random(hash_mix(seed, uint64_t(GeneratorStream::kOracleBootstrap), uint64_t(user)));
}

std::vector<int64_t> oracle_top_items(const std::vector<int64_t>& touched_items,
                                      const std::vector<double>& values,
                                      const std::vector<int64_t>& excluded, int k,
                                      int64_t num_items) {
  if (k <= 0) return {};
  const auto is_excluded = [&](int64_t item) {
    return std::find(excluded.begin(), excluded.end(), item) != excluded.end();
  };
  using Entry = std::pair<double, int64_t>;  // value, item
  const auto better = [](const Entry& a, const Entry& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  };
  // The best k in one pass: a heap with the worst kept entry on top.
  std::vector<Entry> candidates;
  candidates.reserve(size_t(k) + 1);
  for (size_t i = 0; i < touched_items.size(); ++i) {
    if (values[i] <= 0) continue;
    const Entry entry(values[i], touched_items[i]);
    if (candidates.size() == size_t(k) && !better(entry, candidates.front())) continue;
    if (is_excluded(entry.second)) continue;
    candidates.push_back(entry);
    std::push_heap(candidates.begin(), candidates.end(), better);
    if (candidates.size() > size_t(k)) {
      std::pop_heap(candidates.begin(), candidates.end(), better);
      candidates.pop_back();
    }
  }
  std::sort(candidates.begin(), candidates.end(), better);
  std::vector<int64_t> top;
  top.reserve(size_t(k));
  for (const Entry& entry : candidates) top.push_back(entry.second);
  // Fewer shown items than k: the rest score 0, ties to the lower id.
  const size_t shown = top.size();
  for (int64_t item = finn::kFirstItemId; item < num_items && top.size() < size_t(k); ++item) {
    if (is_excluded(item)) continue;
    if (std::find(top.begin(), top.begin() + std::ptrdiff_t(shown), item) !=
        top.begin() + std::ptrdiff_t(shown))
      continue;
    top.push_back(item);
  }
  return top;
}

OracleMetrics evaluate_oracle(const GeneratorWorld& world, const std::vector<HeldOutUser>& users,
                              const OracleOptions& options) {
  REQUIRE(options.rollouts >= 2,
          "--oracle-rollouts must be at least 2 (got " << options.rollouts << ")");
  REQUIRE(options.batches >= 2 && options.bootstrap_replicates >= 2 && options.threads >= 1,
          "oracle: bad batches, replicates or threads");
  const auto start = std::chrono::steady_clock::now();
  OracleMetrics metrics;
  metrics.held_out_users = static_cast<int64_t>(users.size());
  std::vector<const HeldOutUser*> ranked;
  for (const HeldOutUser& user : users)
    if (!user.later_clicks.empty() &&
        (options.max_ranked_users == 0 ||
         static_cast<int64_t>(ranked.size()) < options.max_ranked_users))
      ranked.push_back(&user);
  metrics.ranked_users = static_cast<int64_t>(ranked.size());
  const std::vector<std::string>& names = oracle_metric_names();
  for (const std::string& name : names) {
    metrics.values[name] = 0;
    metrics.monte_carlo_standard_error[name] = 0;
    metrics.user_sampling_standard_error[name] = 0;
  }
  if (ranked.empty()) return metrics;

  std::vector<UserResult> results(ranked.size());
  std::atomic<int64_t> next_user{0}, done_users{0};
  Progress progress("oracle", metrics.ranked_users, "users");
  auto worker = [&]() {
    UserEvaluator evaluator(world, options);
    while (true) {
      const int64_t u = next_user.fetch_add(1);
      if (u >= metrics.ranked_users) break;
      evaluator.evaluate(*ranked[size_t(u)], results[size_t(u)]);
      ++done_users;
    }
  };
  std::vector<std::thread> pool;
  for (int i = 1; i < options.threads; ++i) pool.emplace_back(worker);
  std::atomic<bool> finished{false};
  std::thread reporter([&]() {
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

  // Sums in user order, so the figures do not depend on the threads.
  const double n = static_cast<double>(metrics.ranked_users);
  for (int m = 0; m < kMetrics; ++m) {
    double sum = 0, variance_sum = 0;
    for (const UserResult& result : results) {
      sum += result.values[m];
      variance_sum += result.monte_carlo_variance[m];
    }
    const double mean = sum / n;
    double squares = 0;
    for (const UserResult& result : results)
      squares += (result.values[m] - mean) * (result.values[m] - mean);
    metrics.values[names[size_t(m)]] = mean;
    // The users' rollouts are independent: the mean's variance is the sum of theirs over n^2.
    metrics.monte_carlo_standard_error[names[size_t(m)]] = std::sqrt(variance_sum) / n;
    metrics.user_sampling_standard_error[names[size_t(m)]] =
        n > 1 ? std::sqrt(squares / (n - 1) / n) : 0.0;
  }
  metrics.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return metrics;
}

nlohmann::json oracle_metrics_json(const OracleMetrics& metrics) {
  nlohmann::json out = nlohmann::json::object();
  nlohmann::json monte_carlo = nlohmann::json::object(), sampling = nlohmann::json::object();
  for (const std::string& name : oracle_metric_names()) {
    out[name] = metrics.values.at(name);
    monte_carlo[name] = metrics.monte_carlo_standard_error.at(name);
    sampling[name] = metrics.user_sampling_standard_error.at(name);
  }
  out["users"] = metrics.ranked_users;
  out["held_out_users"] = metrics.held_out_users;
  out["monte_carlo_standard_error"] = monte_carlo;
  out["user_sampling_standard_error"] = sampling;
  return out;
}

}  // namespace slatetrain
