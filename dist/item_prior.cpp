#include "dist/item_prior.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"

namespace slatetrain {

ItemPriorKind parse_item_prior_kind(const std::string& name) {
  if (name == "none") return ItemPriorKind::kNone;
  if (name == "global") return ItemPriorKind::kGlobal;
  if (name == "group") return ItemPriorKind::kGroup;
  RAISE("unknown item prior '" << name << "' (expected none, global or group)");
}

const char* item_prior_name(ItemPriorKind kind) {
  switch (kind) {
    case ItemPriorKind::kNone:
      return "none";
    case ItemPriorKind::kGlobal:
      return "global";
    case ItemPriorKind::kGroup:
      return "group";
  }
  return "?";
}

double item_prior_loss(const float* rows, const int32_t* groups, int64_t count, int64_t dim,
                       const float* group_vectors, const float* group_scales, int64_t group_count,
                       float weight, float* row_gradients, float* group_vector_gradients,
                       float* group_scale_gradients) {
  if (group_vector_gradients) std::fill_n(group_vector_gradients, group_count * dim, 0.0f);
  if (group_scale_gradients) std::fill_n(group_scale_gradients, group_count, 0.0f);
  double loss = 0.0;
  for (int64_t i = 0; i < count; ++i) {
    const int32_t g = groups[i];
    REQUIRE(g >= 0 && g < group_count, "item prior: row " << i << " has group " << g
                                                          << ", outside [0, " << group_count
                                                          << ")");
    const double sigma = group_scales[g];
    const double inverse_variance = 1.0 / (sigma * sigma);
    double squared = 0.0;
    for (int64_t j = 0; j < dim; ++j) {
      const double deviation = double(rows[i * dim + j]) - group_vectors[g * dim + j];
      squared += deviation * deviation;
      const double gradient = weight * deviation * inverse_variance;
      if (row_gradients) row_gradients[i * dim + j] = static_cast<float>(gradient);
      if (group_vector_gradients)
        group_vector_gradients[g * dim + j] -= static_cast<float>(gradient);
    }
    loss += weight * (0.5 * squared * inverse_variance + dim * std::log(sigma));
    if (group_scale_gradients) {
      group_scale_gradients[g] +=
          static_cast<float>(weight * (-squared * inverse_variance / sigma + dim / sigma));
    }
  }
  return loss;
}

ItemPrior::ItemPrior(const ItemPriorOptions& options, std::vector<int32_t> local_groups,
                     int64_t group_count, int64_t dim, Communicator& host)
    : options_(options),
      local_groups_(std::move(local_groups)),
      group_count_(group_count),
      dim_(dim),
      host_(host),
      anchor_(local_groups_.size(), 0.0),
      group_vectors_(static_cast<size_t>(group_count * dim), 0.0f),
      group_scales_(static_cast<size_t>(group_count), options.sigma) {
  REQUIRE(options_.kind != ItemPriorKind::kNone, "item prior: kind none has no state");
  REQUIRE(group_count > 0 && dim > 0,
          "item prior: " << group_count << " groups of dimension " << dim);
  REQUIRE(options_.sigma > 0 && options_.sigma_min > 0 && options_.weight >= 0,
          "item prior: sigma " << options_.sigma << ", sigma_min " << options_.sigma_min
                               << " and weight " << options_.weight
                               << " must be positive (weight: not negative)");
  for (size_t r = 0; r < local_groups_.size(); ++r) {
    REQUIRE(local_groups_[r] >= 0 && local_groups_[r] < group_count,
            "item prior: local row " << r << " has group " << local_groups_[r] << ", outside [0, "
                                     << group_count << ")");
  }
  set_rates();
}

void ItemPrior::set_rates() {
  rates_.resize(group_scales_.size());
  for (size_t g = 0; g < group_scales_.size(); ++g) {
    const double sigma = group_scales_[g];
    rates_[g] = options_.weight / (sigma * sigma);
  }
}

void ItemPrior::advance(double learning_rate) {
  clock_ += learning_rate;
}

void ItemPrior::catch_up_row(float* values, int64_t row) {
  // Equal anchors: nothing missed, and the row is left bit for bit (mu + (v - mu) * 1 need not
  // round back to v).
  if (anchor_[row] == clock_) return;
  const int32_t g = local_groups_[row];
  const float factor = static_cast<float>(std::exp(-rates_[g] * (clock_ - anchor_[row])));
  anchor_[row] = clock_;
  if (rates_[g] == 0) return;  // weight 0: no pull, and v stays bit for bit
  const float* mean = group_vectors_.data() + g * dim_;
  for (int64_t j = 0; j < dim_; ++j) values[j] = mean[j] + (values[j] - mean[j]) * factor;
}

void ItemPrior::check_rows(const int32_t* rows, int64_t count) const {
  const int64_t local_rows = static_cast<int64_t>(anchor_.size());
  for (int64_t i = 0; i < count; ++i) {
    REQUIRE(rows[i] >= 0 && rows[i] < local_rows,
            "item prior: row " << rows[i] << " outside [0, " << local_rows << ")");
  }
}

void ItemPrior::catch_up(float* table, const int32_t* rows, int64_t count) {
  check_rows(rows, count);
  for (int64_t i = 0; i < count; ++i) catch_up_row(table + int64_t{rows[i]} * dim_, rows[i]);
}

std::vector<int32_t> ItemPrior::rows_behind(const int32_t* rows, int64_t count) const {
  check_rows(rows, count);
  std::vector<int32_t> behind;
  for (int64_t i = 0; i < count; ++i)
    if (anchor_[rows[i]] != clock_) behind.push_back(rows[i]);
  return behind;
}

void ItemPrior::catch_up_copies(float* values, const int32_t* rows, int64_t count) {
  check_rows(rows, count);
  for (int64_t i = 0; i < count; ++i) catch_up_row(values + i * dim_, rows[i]);
}

void ItemPrior::flush(float* table) {
  const int64_t local_rows = static_cast<int64_t>(anchor_.size());
  for (int64_t row = 0; row < local_rows; ++row) catch_up_row(table + row * dim_, row);
  restart_clock();
}

void ItemPrior::restart_clock() {
  clock_ = 0.0;
  std::fill(anchor_.begin(), anchor_.end(), 0.0);
}

void ItemPrior::estimate_groups(float* table, bool scales) {
  flush(table);
  const int64_t local_rows = static_cast<int64_t>(anchor_.size());
  const size_t vector_values = static_cast<size_t>(group_count_ * dim_);
  // Sums then counts, summed over ranks in one reduction (double: exact for the counts).
  std::vector<double> totals(vector_values + static_cast<size_t>(group_count_), 0.0);
  for (int64_t row = 0; row < local_rows; ++row) {
    const int32_t g = local_groups_[row];
    for (int64_t j = 0; j < dim_; ++j) totals[g * dim_ + j] += table[row * dim_ + j];
    totals[vector_values + g] += 1.0;
  }
  host_.allreduce(totals.data(), totals.size(), ReduceOp::kSum);
  for (int64_t g = 0; g < group_count_; ++g) {
    const double members = totals[vector_values + g];
    if (members == 0) continue;  // a group without items keeps its vector
    for (int64_t j = 0; j < dim_; ++j)
      group_vectors_[g * dim_ + j] = static_cast<float>(totals[g * dim_ + j] / members);
  }
  if (scales) {
    std::vector<double> squares(static_cast<size_t>(group_count_), 0.0);
    for (int64_t row = 0; row < local_rows; ++row) {
      const int32_t g = local_groups_[row];
      for (int64_t j = 0; j < dim_; ++j) {
        const double deviation = double(table[row * dim_ + j]) - group_vectors_[g * dim_ + j];
        squares[g] += deviation * deviation;
      }
    }
    host_.allreduce(squares.data(), squares.size(), ReduceOp::kSum);
    for (int64_t g = 0; g < group_count_; ++g) {
      const double members = totals[vector_values + g];
      if (members == 0) continue;
      group_scales_[g] = std::max(options_.sigma_min,
                                  static_cast<float>(std::sqrt(squares[g] / (members * dim_))));
    }
    set_rates();
  }
}

void ItemPrior::set_group_state(std::vector<float> group_vectors, std::vector<float> group_scales) {
  REQUIRE(
      group_vectors.size() == group_vectors_.size() && group_scales.size() == group_scales_.size(),
      "item prior: the saved state has " << group_vectors.size() << " group-vector values and "
                                         << group_scales.size() << " scales, this prior "
                                         << group_vectors_.size() << " and " << group_scales_.size()
                                         << " (another grouping?)");
  group_vectors_ = std::move(group_vectors);
  group_scales_ = std::move(group_scales);
  for (float sigma : group_scales_)
    REQUIRE(sigma > 0 && std::isfinite(sigma), "item prior: saved group scale " << sigma);
  set_rates();
  restart_clock();
}

}  // namespace slatetrain
