// RecommenderModel: a user model and an objective over one flat ParameterBuffer (their dense
// parameters: one allreduce, one optimizer loop, one checkpoint dataset), built by the
// factories from the configuration. The item table is not here: it is sharded (dist/), and the
// model sees only the rows a batch needs.
#pragma once

#include <memory>

#include "core/backend.hpp"
#include "models/catalogue_shard.hpp"
#include "models/model_batch.hpp"
#include "models/model_spec.hpp"
#include "models/objective.hpp"
#include "models/parameter_buffer.hpp"
#include "models/user_model.hpp"

namespace slatetrain {

class RecommenderModel {
 public:
  // catalogue: this rank's shard of the item table, for objectives that score the whole
  // catalogue (nullptr: none may be asked for).
  RecommenderModel(Backend& backend, const UserModelSpec& user_model,
                   const ObjectiveSpec& objective, const DatasetFacts& data,
                   CatalogueShard* catalogue = nullptr);
  RecommenderModel(const RecommenderModel&) = delete;
  RecommenderModel& operator=(const RecommenderModel&) = delete;

  ParameterBuffer& parameters() { return parameters_; }
  const ParameterBuffer& parameters() const { return parameters_; }
  UserModel& user_model() { return *user_model_; }
  Objective& objective() { return *objective_; }
  const Objective& objective() const { return *objective_; }
  // How batches are turned into the user model's inputs for this model and dataset.
  const SequenceInputOptions& input_options() const { return input_options_; }

  // Initial values: the user model from `seed`, the objective from a stream of it.
  void initialize(uint64_t seed);

 private:
  ParameterBuffer parameters_;
  std::unique_ptr<UserModel> user_model_;
  std::unique_ptr<Objective> objective_;
  SequenceInputOptions input_options_;
};

}  // namespace slatetrain
