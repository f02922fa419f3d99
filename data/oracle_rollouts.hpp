// Monte-Carlo rollouts of one held-out user's remaining steps under the generator's own process
// (data/generator_step.hpp, anomalies off), from the user's true state at the cut: estimates,
// per item, of the probability that the user clicks it at least once and of the expected
// number of clicks (docs/GENERATOR.md "The oracle").
//
// Both estimators condition on each drawn slate (Rao-Blackwell): a rollout adds, at every
// step, each slot's choice probability to its item's expected clicks, and to its item's
// click probability while that item has not been clicked earlier in the rollout (the
// probability that the first click happens at that step). Both are unbiased; every item shown
// in some rollout gets a positive estimate.
#pragma once

#include <cstdint>
#include <vector>

#include "core/random.hpp"
#include "data/generator_step.hpp"
#include "data/generator_world.hpp"

namespace slatetrain {

class OracleRollouts {
 public:
  explicit OracleRollouts(const GeneratorWorld& world);

  // Runs `rollouts` rollouts of `remaining_steps` steps from `start`, all drawn from `random`
  // one after the other, in `batches` consecutive batches of nearly equal size (the units of the
  // standard error). Replaces the previous run's results.
  void run(const UserProcessState& start, int remaining_steps, int64_t rollouts, int batches,
           Random& random);

  // Items shown in some rollout, in the order first shown.
  int64_t touched() const { return static_cast<int64_t>(items_.size()); }
  int64_t item(int64_t k) const { return items_[size_t(k)]; }
  int batches() const { return batches_; }
  int64_t batch_rollouts(int batch) const { return batch_rollouts_[size_t(batch)]; }
  int64_t rollouts() const { return rollouts_; }
  // shapes: [batches]: touched item k's sums over each batch's rollouts of the per-rollout
  // values (first-click probabilities; choice probabilities).
  const double* clicked_sums(int64_t k) const { return &clicked_sums_[size_t(k) * batches_]; }
  const double* expected_sums(int64_t k) const { return &expected_sums_[size_t(k) * batches_]; }
  // The estimates from every rollout.
  double clicked_probability(int64_t k) const;
  double expected_clicks(int64_t k) const;

 private:
  int64_t touch(int64_t item);

  const GeneratorWorld& world_;
  std::vector<int32_t> slot_of_item_;  // [items]: index into items_, -1 when not shown
  std::vector<int64_t> items_;
  std::vector<double> clicked_sums_, expected_sums_;  // [touched, batches]
  std::vector<int64_t> batch_rollouts_;               // [batches]
  int batches_ = 0;
  int64_t rollouts_ = 0;
};

}  // namespace slatetrain
