#include "models/objective_factory.hpp"

#include "core/error.hpp"
#include "models/sampled_softmax_objective.hpp"
#include "models/slate_objective.hpp"

namespace slatetrain {

std::unique_ptr<Objective> make_objective(Backend& backend, ParameterBuffer& parameters,
                                          const ObjectiveSpec& spec, const DatasetFacts& data,
                                          int64_t dim) {
  if (spec.kind == "slate") {
    REQUIRE(data.slate_slots > 0,
            "objective.kind 'slate' needs a dataset with slates, and "
                << data.name << " has none (a session log): use objective.kind: sampled_softmax");
    SlateObjectiveConfig config;
    config.ids = data.ids;
    config.dim = dim;
    // Lengths 0..S+1 unless the data says otherwise: the published FINN data holds
    // slate_lengths of S + 1 (26 for 25 slots).
    config.slate_lengths = data.slate_lengths > 0 ? data.slate_lengths : data.slate_slots + 2;
    return std::make_unique<SlateObjective>(backend, parameters, config);
  }
  if (spec.kind == "sampled_softmax") {
    SampledSoftmaxObjectiveConfig config;
    config.ids = data.ids;
    config.num_items = data.num_items;
    config.dim = dim;
    config.negatives = spec.negatives;
    return std::make_unique<SampledSoftmaxObjective>(backend, config);
  }
  RAISE("objective.kind '" << spec.kind << "' is not an objective (known: slate, sampled_softmax)");
}

}  // namespace slatetrain
