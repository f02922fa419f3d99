// What a run's configuration needs from the dataset's splits, checked before any training:
// early stopping (evaluation.patience > 0 with periodic validation) compares validation figures, so a dataset without
// validation users cannot drive it (its metrics would be null at every validation).
#pragma once

#include "data/manifest.hpp"
#include "launch/run_config.hpp"

namespace slatetrain {

// Raises an error naming the key and the split when the configuration needs a split the
// dataset does not have.
void require_needed_splits(const RunConfig& config, const Manifest& manifest);

}  // namespace slatetrain
