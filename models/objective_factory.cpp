#include "models/objective_factory.hpp"

#include "core/error.hpp"
#include "models/full_softmax_objective.hpp"
#include "models/mixed_objective.hpp"
#include "models/sampled_softmax_objective.hpp"
#include "models/slate_objective.hpp"

namespace slatetrain {

std::unique_ptr<Objective> make_objective(Backend& backend, ParameterBuffer& parameters,
                                          const ObjectiveSpec& spec, const DatasetFacts& data,
                                          int64_t dim, CatalogueShard* catalogue) {
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
    REQUIRE(spec.slate_head == "none" || spec.slate_head == "linear",
            "objective.slate_head '" << spec.slate_head << "' is not a head (known: none, linear)");
    config.linear_head = spec.slate_head == "linear";
    return std::make_unique<SlateObjective>(backend, parameters, config);
  }
  if (spec.kind == "sampled_softmax") {
    SampledSoftmaxObjectiveConfig config;
    config.ids = data.ids;
    config.dim = dim;
    config.negatives = spec.negatives;
    config.sampler.kind = spec.sampler;
    config.sampler.ids = data.ids;
    config.sampler.num_items = data.num_items;
    config.sampler.power = spec.sampler_power;
    config.sampler.counts = data.item_counts;
    // A uniform sampler's correction is the same constant on every logit: it changes nothing.
    config.log_q_correction = spec.log_q_correction && spec.sampler != "uniform";
    config.remove_accidental_hits = spec.remove_accidental_hits;
    config.shared_negatives = spec.shared_negatives;
    return std::make_unique<SampledSoftmaxObjective>(backend, config);
  }
  if (spec.kind == "full_softmax") {
    REQUIRE(catalogue, "objective 'full_softmax' needs the sharded item table");
    FullSoftmaxObjectiveConfig config;
    config.ids = data.ids;
    config.dim = dim;
    return std::make_unique<FullSoftmaxObjective>(backend, *catalogue, config);
  }
  if (spec.kind == "mixed") {
    ObjectiveSpec slate = spec, catalogue_spec = spec;
    slate.kind = "slate";
    catalogue_spec.kind = spec.catalogue;
    REQUIRE(spec.catalogue != "slate" && spec.catalogue != "mixed",
            "objective.catalogue must be a catalogue objective (sampled_softmax), not '"
                << spec.catalogue << "'");
    return std::make_unique<MixedObjective>(
        backend, dim, make_objective(backend, parameters, slate, data, dim, catalogue),
        spec.slate_weight,
        make_objective(backend, parameters, catalogue_spec, data, dim, catalogue),
        spec.catalogue_weight);
  }
  RAISE("objective.kind '"
        << spec.kind
        << "' is not an objective (known: slate, sampled_softmax, full_softmax, mixed)");
}

}  // namespace slatetrain
