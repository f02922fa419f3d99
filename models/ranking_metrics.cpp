#include "models/ranking_metrics.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <unordered_set>

#include "core/error.hpp"

namespace slatetrain {

RankingMetrics::RankingMetrics(std::vector<int> ks, int64_t num_items, int64_t first_item)
    : ks_(std::move(ks)), num_items_(num_items), first_item_(first_item) {
  REQUIRE(!ks_.empty(), "ranking metrics need at least one cut-off");
  std::sort(ks_.begin(), ks_.end());
  const size_t n = ks_.size();
  hits_.assign(n, 0);
  hit_users_.assign(n, 0);
  ndcg_.assign(n, 0);
  mrr_.assign(n, 0);
  recall_.assign(n, 0);
  recommended_.assign(n * static_cast<size_t>(num_items_), 0);
}

void RankingMetrics::add_user(const int64_t* top_items, int64_t top_count,
                              const std::vector<int64_t>& later_clicks) {
  if (later_clicks.empty()) return;
  ++users_;
  const std::unordered_set<int64_t> relevant(later_clicks.begin(), later_clicks.end());
  for (size_t c = 0; c < ks_.size(); ++c) {
    const int64_t k = std::min<int64_t>(ks_[c], top_count);
    std::unordered_set<int64_t> top(top_items, top_items + k);
    double hits = 0;
    for (int64_t item : later_clicks) hits += top.count(item) ? 1 : 0;
    hits_[c] += hits;
    hit_users_[c] += hits > 0 ? 1 : 0;
    double dcg = 0, ideal = 0, reciprocal_rank = 0, found = 0;
    for (int64_t i = 0; i < k; ++i) {
      const double discount = 1.0 / std::log2(static_cast<double>(i) + 2.0);
      if (relevant.count(top_items[i])) {
        dcg += discount;
        found += 1;
        if (reciprocal_rank == 0) reciprocal_rank = 1.0 / static_cast<double>(i + 1);
      }
      if (i < static_cast<int64_t>(relevant.size())) ideal += discount;
    }
    ndcg_[c] += ideal > 0 ? dcg / ideal : 0;
    mrr_[c] += reciprocal_rank;
    recall_[c] += found / static_cast<double>(relevant.size());
    uint8_t* flags = recommended_.data() + c * static_cast<size_t>(num_items_);
    for (int64_t i = 0; i < k; ++i) {
      if (top_items[i] >= 0 && top_items[i] < num_items_) flags[top_items[i]] = 1;
    }
  }
}

std::vector<double> RankingMetrics::sums() const {
  std::vector<double> out{static_cast<double>(users_)};
  for (const auto* family : {&hits_, &hit_users_, &ndcg_, &mrr_, &recall_}) {
    out.insert(out.end(), family->begin(), family->end());
  }
  return out;
}

void RankingMetrics::set_sums(const std::vector<double>& sums) {
  const size_t n = ks_.size();
  REQUIRE(sums.size() == 1 + 5 * n, "ranking metric sums of the wrong length");
  users_ = static_cast<int64_t>(sums[0]);
  size_t at = 1;
  for (auto* family : {&hits_, &hit_users_, &ndcg_, &mrr_, &recall_}) {
    std::copy(sums.begin() + static_cast<std::ptrdiff_t>(at),
              sums.begin() + static_cast<std::ptrdiff_t>(at + n), family->begin());
    at += n;
  }
}

std::map<std::string, double> RankingMetrics::results() const {
  std::map<std::string, double> out;
  // No user: every mean is undefined, not 0 (which would read as a real, worst score).
  const double users =
      users_ > 0 ? static_cast<double>(users_) : std::numeric_limits<double>::quiet_NaN();
  const double recommendable = std::max<double>(1.0, static_cast<double>(num_items_ - first_item_));
  for (size_t c = 0; c < ks_.size(); ++c) {
    const std::string at = "@" + std::to_string(ks_[c]);
    out["hits" + at] = hits_[c] / users;
    out["hitrate" + at] = hit_users_[c] / users;
    out["ndcg" + at] = ndcg_[c] / users;
    out["mrr" + at] = mrr_[c] / users;
    out["recall" + at] = recall_[c] / users;
    const uint8_t* flags = recommended_.data() + c * static_cast<size_t>(num_items_);
    double covered = 0;
    for (int64_t item = first_item_; item < num_items_; ++item) covered += flags[item];
    out["coverage" + at] = users_ > 0 ? covered / recommendable : users;
  }
  out["users"] = static_cast<double>(users_);
  return out;
}

}  // namespace slatetrain
