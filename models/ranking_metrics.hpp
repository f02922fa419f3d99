// Ranking metrics (docs/METRICS.md) for users whose top-k over the catalogue is known:
// hits@k (the FINN code's figure: the number of the user's target items found in the top k,
// not capped at one), hitrate@k (share of users with at least one hit), NDCG@k and recall@k
// over the distinct targets, MRR@k, and catalogue coverage@k. Users without a target are not
// counted (nothing to find).
// Sums are kept so that ranks can add theirs together before the means are taken.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace slatetrain {

class RankingMetrics {
 public:
  // ks: cut-offs; num_items: the id space's size; coverage counts the ids >= first_item.
  RankingMetrics(std::vector<int> ks, int64_t num_items, int64_t first_item);

  // top_items: the user's ranking, best first, at least max(ks) long (shorter if the catalogue
  // is); later_clicks: the items the user clicked after the cut, one entry per click.
  void add_user(const int64_t* top_items, int64_t top_count,
                const std::vector<int64_t>& later_clicks);

  int64_t users() const { return users_; }
  int max_k() const { return ks_.back(); }

  // The sums as one vector (for an allreduce) and back.
  std::vector<double> sums() const;
  void set_sums(const std::vector<double>& sums);
  // Per cut-off, which items some user was recommended: [ks.size(), num_items] flags, 1 where
  // the item appeared in a top-k (ranks combine theirs with a max-allreduce for coverage).
  std::vector<uint8_t>& recommended_flags() { return recommended_; }

  // "hitrate@20" -> value, for every metric and cut-off, and "users". With no user counted
  // every metric is NaN (undefined; JSON writes it as null), never 0.
  std::map<std::string, double> results() const;

 private:
  std::vector<int> ks_;
  int64_t num_items_;
  int64_t first_item_;
  int64_t users_ = 0;
  // Per cut-off: hits, users with a hit, ndcg, mrr, recall.
  std::vector<double> hits_, hit_users_, ndcg_, mrr_, recall_;
  std::vector<uint8_t> recommended_;
};

}  // namespace slatetrain
