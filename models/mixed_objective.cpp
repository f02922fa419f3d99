#include "models/mixed_objective.hpp"

#include "core/error.hpp"
#include "core/random.hpp"
#include "models/device_buffer.hpp"

namespace slatetrain {

MixedObjective::MixedObjective(Backend& backend, int64_t dim, std::unique_ptr<Objective> first,
                               double first_weight, std::unique_ptr<Objective> second,
                               double second_weight)
    : backend_(backend),
      dim_(dim),
      first_(std::move(first)),
      second_(std::move(second)),
      first_weight_(static_cast<float>(first_weight)),
      second_weight_(static_cast<float>(second_weight)) {
  REQUIRE(first_ && second_, "MixedObjective needs two objectives");
  REQUIRE(first_weight >= 0 && second_weight >= 0 && first_weight + second_weight > 0,
          "objective weights must be >= 0 and not both 0, not " << first_weight << " and "
                                                                << second_weight);
}

void MixedObjective::initialize(uint64_t seed) {
  first_->initialize(hash_mix(seed, 1));
  second_->initialize(hash_mix(seed, 2));
}

std::unique_ptr<ObjectiveBatch> MixedObjective::prepare(const SequenceBatch& batch,
                                                        uint64_t step_seed,
                                                        RowRequests& requests) const {
  auto out = std::make_unique<MixedObjectiveBatch>();
  out->first = first_->prepare(batch, hash_mix(step_seed, 1), requests);
  out->second = second_->prepare(batch, hash_mix(step_seed, 2), requests);
  const size_t n = out->first->loss_step.size();
  REQUIRE(out->second->loss_step.size() == n, "MixedObjective: the parts' batches differ in size");
  out->loss_step.assign(n, 0);
  for (size_t i = 0; i < n; ++i) {
    out->loss_step[i] = out->first->loss_step[i] | out->second->loss_step[i];
    out->loss_steps += out->loss_step[i];
  }
  return out;
}

double MixedObjective::forward(const ObjectiveBatch& objective_batch, const float* user,
                               const float* rows, int64_t num_rows) {
  const auto* batch = dynamic_cast<const MixedObjectiveBatch*>(&objective_batch);
  REQUIRE(batch, "MixedObjective::forward: a batch prepared by another objective");
  steps_ = static_cast<int64_t>(batch->loss_step.size());
  return first_weight_ * first_->forward(*batch->first, user, rows, num_rows) +
         second_weight_ * second_->forward(*batch->second, user, rows, num_rows);
}

void MixedObjective::backward(float* duser, float* drows, float gradient_scale) {
  // duser = d(first part) + d(second part); the rows' gradients accumulate in drows.
  float* second_duser = ensure_buffer<float>(backend_, second_duser_, steps_ * dim_);
  first_->backward(duser, drows, gradient_scale * first_weight_);
  second_->backward(second_duser, drows, gradient_scale * second_weight_);
  backend_.axpy(duser, second_duser, steps_ * dim_, 1.0f);
}

bool MixedObjective::has_held_out_likelihood() const {
  return first_->has_held_out_likelihood() || second_->has_held_out_likelihood();
}

std::vector<std::string> MixedObjective::held_out_likelihood_names() const {
  std::vector<std::string> names = first_->held_out_likelihood_names();
  for (std::string& name : second_->held_out_likelihood_names()) names.push_back(std::move(name));
  return names;
}

std::vector<HeldOutLikelihood> MixedObjective::held_out_likelihoods(
    const ObjectiveBatch& objective_batch, const float* user, const float* rows, int64_t num_rows) {
  const auto* batch = dynamic_cast<const MixedObjectiveBatch*>(&objective_batch);
  REQUIRE(batch, "MixedObjective: a batch prepared by another objective");
  std::vector<HeldOutLikelihood> out =
      first_->held_out_likelihoods(*batch->first, user, rows, num_rows);
  for (HeldOutLikelihood& part :
       second_->held_out_likelihoods(*batch->second, user, rows, num_rows))
    out.push_back(std::move(part));
  return out;
}

}  // namespace slatetrain
