#include "data/oracle_rollouts.hpp"

#include <algorithm>

#include "core/error.hpp"

namespace slatetrain {

OracleRollouts::OracleRollouts(const GeneratorWorld& world)
    : world_(world), slot_of_item_(size_t(world.num_items()), -1) {}

int64_t OracleRollouts::touch(int64_t item) {
  int32_t& slot = slot_of_item_[size_t(item)];
  if (slot < 0) {
    slot = static_cast<int32_t>(items_.size());
    items_.push_back(item);
    clicked_sums_.resize(clicked_sums_.size() + size_t(batches_), 0.0);
    expected_sums_.resize(expected_sums_.size() + size_t(batches_), 0.0);
  }
  return slot;
}

void OracleRollouts::run(const UserProcessState& start, int remaining_steps, int64_t rollouts,
                         int batches, Random& random) {
  REQUIRE(rollouts >= 1 && batches >= 1 && batches <= rollouts,
          "oracle rollouts: " << rollouts << " rollouts in " << batches << " batches");
  for (const int64_t item : items_) slot_of_item_[size_t(item)] = -1;
  items_.clear();
  clicked_sums_.clear();
  expected_sums_.clear();
  batches_ = batches;
  rollouts_ = rollouts;
  batch_rollouts_.assign(size_t(batches), 0);
  DrawnStep step;
  std::vector<int64_t> clicked;  // this rollout's clicks so far
  for (int64_t r = 0; r < rollouts; ++r) {
    const int batch = static_cast<int>(r * batches / rollouts);
    ++batch_rollouts_[size_t(batch)];
    UserProcessState state = start;
    clicked.clear();
    for (int t = 0; t < remaining_steps; ++t) {
      draw_step(world_, state, /*anomaly_rate=*/0.0, random, step);
      for (int j = 1; j < step.length; ++j) {
        const int64_t item = step.slate[j];
        const double probability = step.slot_probability(j);
        const int64_t k = touch(item);
        const size_t at = size_t(k) * size_t(batches) + size_t(batch);
        expected_sums_[at] += probability;
        if (std::find(clicked.begin(), clicked.end(), item) == clicked.end())
          clicked_sums_[at] += probability;
      }
      if (step.clicked >= finn::kFirstItemId) clicked.push_back(step.clicked);
      apply_click(world_, step.clicked, state);
    }
  }
}

double OracleRollouts::clicked_probability(int64_t k) const {
  double sum = 0;
  for (int b = 0; b < batches_; ++b) sum += clicked_sums(k)[b];
  return sum / double(rollouts_);
}

double OracleRollouts::expected_clicks(int64_t k) const {
  double sum = 0;
  for (int b = 0; b < batches_; ++b) sum += expected_sums(k)[b];
  return sum / double(rollouts_);
}

}  // namespace slatetrain
