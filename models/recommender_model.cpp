#include "models/recommender_model.hpp"

#include "core/error.hpp"
#include "core/random.hpp"
#include "models/objective_factory.hpp"
#include "models/user_model_factory.hpp"

namespace slatetrain {

namespace {
constexpr uint64_t kObjectiveStream = 0x6f626a656374;  // "object"
}  // namespace

RecommenderModel::RecommenderModel(Backend& backend, const UserModelSpec& user_model,
                                   const ObjectiveSpec& objective, const DatasetFacts& data,
                                   CatalogueShard* catalogue) {
  user_model_ = make_user_model(backend, parameters_, user_model, data);
  objective_ = make_objective(backend, parameters_, objective, data, user_model_->dim(), catalogue);
  const int window = user_model_->max_steps();
  REQUIRE(window == 0 || data.max_steps <= window,
          "model.max_length " << window << " is shorter than the batches' " << data.max_steps
                              << " steps of " << data.name);
  parameters_.allocate(backend);
  input_options_.ids = data.ids;
  input_options_.input_every_step = user_model.input_every_step;
  input_options_.interaction_types = data.interaction_types;
}

void RecommenderModel::initialize(uint64_t seed) {
  user_model_->initialize(seed);
  objective_->initialize(hash_mix(seed, kObjectiveStream));
}

}  // namespace slatetrain
