// The oracle (truth.json "oracle", docs/GENERATOR.md "The oracle"): an honest ceiling for a
// full-catalogue ranking. For each held-out user, the generator's own process continues from
// the user's true state after the first t_testsplit steps for the user's remaining steps
// (data/oracle_rollouts.hpp, anomalies off); items are ranked by the estimated probability of
// being clicked at least once (hitrate@k, NDCG@k) and by the expected number of clicks
// (hits@k), the earlier clicks excluded, ties to the lower id; the rankings are scored against
// the user's actual later clicks as models/ranking_metrics.cpp scores a model's.
//
// Standard errors: of the Monte-Carlo estimate, from a bootstrap over each user's rollout
// batches (per-user variances over the replicates, pooled over the users, who are
// independent); and of the sampling of users, the spread of the per-user figures.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "data/generator_user.hpp"
#include "data/generator_world.hpp"

namespace slatetrain {

struct OracleOptions {
  int64_t rollouts = kDefaultOracleRollouts;  // per user (data/generator_options.hpp)
  int batches = 16;                           // rollout batches, the bootstrap's units
  int bootstrap_replicates = 10;
  uint64_t seed = 1;  // the generator's seed: rollouts draw from (seed, user) streams of their own
  int64_t max_ranked_users = 0;  // 0: every held-out user with a later click
  int threads = 2;
};

using OracleFigures = std::map<std::string, double>;  // "hitrate@20" -> value

struct OracleMetrics {
  int64_t held_out_users = 0;
  int64_t ranked_users = 0;
  OracleFigures values;
  OracleFigures monte_carlo_standard_error;
  OracleFigures user_sampling_standard_error;
  double seconds = 0;  // wall time (not in the JSON, which stays byte-identical per seed)
};

// The metric names, in the order they are reported.
const std::vector<std::string>& oracle_metric_names();

// The random streams of a user's rollouts and of the bootstrap over them.
Random oracle_rollout_random(uint64_t seed, int64_t user);
Random oracle_bootstrap_random(uint64_t seed, int64_t user);

// The top k items by `values` (one per touched item of `touched_items`), best first, ties
// and unshown items (value 0) to the lower id, ids in [3, num_items) except `excluded`.
std::vector<int64_t> oracle_top_items(const std::vector<int64_t>& touched_items,
                                      const std::vector<double>& values,
                                      const std::vector<int64_t>& excluded, int k,
                                      int64_t num_items);

OracleMetrics evaluate_oracle(const GeneratorWorld& world, const std::vector<HeldOutUser>& users,
                              const OracleOptions& options);

nlohmann::json oracle_metrics_json(const OracleMetrics& metrics);

}  // namespace slatetrain
