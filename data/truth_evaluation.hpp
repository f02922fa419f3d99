// The choice model's scores on the held-out steps of the published split (truth.json `valid`,
// `test`): the in-slate log-likelihood of the model that made the data, and its ranking, which
// ignores what the exposure policy will show and so is not a ceiling (the oracle is:
// data/oracle_evaluation.hpp).
//
// loglik: mean over held-out real steps (t >= t_testsplit, click != 0) of the log-probability
// of the actual choice under the true choice model, with the user's true state following the
// actual clicks; the planted "click not in slate" anomalies are not choices and are skipped.
// Ranking (FINN protocol, docs/MODELS.md): the true state after the first t_testsplit
// steps ranks every item id >= 3 except those clicked in those steps, by the true click
// propensity scale * u.e_i + (popularity_weight + 1) * log w_i (utility plus the log of the
// exposure weight items are shown with); hits@20 is the mean number of later clicks in the top
// 20, hitrate@k the share of users with at least one; users without a later real click are not
// counted (as models/ranking_metrics.hpp does).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <vector>

#include "data/generator_user.hpp"
#include "data/generator_world.hpp"

namespace slatetrain {

struct TruthMetrics {
  int64_t held_out_users = 0;  // users of the split
  int64_t ranked_users = 0;    // of those, ranked (with a later real click, within the cap)
  int64_t loglik_steps = 0;
  double loglik = 0;
  double hitrate_at_10 = 0;
  double hitrate_at_20 = 0;
  double hits_at_20 = 0;
};

// users: one split's held-out users. max_ranked_users: 0 for all, else rank only the first N
// users that have a later click. threads: worker threads for the catalogue scan.
TruthMetrics evaluate_truth(const GeneratorWorld& world, const std::vector<HeldOutUser>& users,
                            int t_testsplit, int64_t max_ranked_users, int threads);

nlohmann::json truth_metrics_json(const TruthMetrics& metrics);

}  // namespace slatetrain
