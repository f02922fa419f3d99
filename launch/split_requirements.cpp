#include "launch/split_requirements.hpp"

#include "core/error.hpp"

namespace slatetrain {

void require_needed_splits(const RunConfig& config, const Manifest& manifest) {
  // Early stopping acts only on the periodic validations (every_steps > 0).
  const bool stops_early = config.evaluation.patience > 0 && config.evaluation.every_steps > 0;
  REQUIRE(!stops_early || manifest.split.valid_users > 0,
          config.data.path << ": the 'valid' split has no users, but evaluation.patience = "
                           << config.evaluation.patience << " with evaluation.every_steps = "
                           << config.evaluation.every_steps
                           << " stops early on validation figures; set evaluation.patience=0 "
                              "or convert the data with validation users (--valid-fraction)");
}

}  // namespace slatetrain
