// The one place that maps `objective.kind` to an Objective: a new objective is its own files
// and a line here.
#pragma once

#include <memory>

#include "core/backend.hpp"
#include "models/catalogue_shard.hpp"
#include "models/model_spec.hpp"
#include "models/objective.hpp"
#include "models/parameter_buffer.hpp"

namespace slatetrain {

// The objective `spec.kind` names for a model of dimension `dim`, its parameters declared in
// `parameters` (not yet allocated). catalogue: this rank's shard of the item table, for the
// objectives that score the whole catalogue (nullptr where there is none). An unknown kind, or
// one the dataset cannot support (the slate objective on data without slates), is an Error
// that says why.
std::unique_ptr<Objective> make_objective(Backend& backend, ParameterBuffer& parameters,
                                          const ObjectiveSpec& spec, const DatasetFacts& data,
                                          int64_t dim, CatalogueShard* catalogue);

}  // namespace slatetrain
