#include "launch/split_options.hpp"

#include "launch/command_line.hpp"

namespace slatetrain {

void add_split_options(CLI::App& app, SplitParameters& split, const std::string& group) {
  add_number_option(app, "--split-seed", split.seed, "seed of the published split", "S")
      ->group(group);
  // The fractions' sum is checked with the other option (both may be given).
  add_number_option(app, "--valid-fraction", split.valid_fraction, "share of users in validation",
                    "F")
      ->check(within(between(0, 1)))
      ->group(group);
  add_number_option(app, "--test-fraction", split.test_fraction, "share of users in test", "F")
      ->check(within(between(0, 1)))
      ->group(group);
  add_number_option(app, "--t-testsplit", split.t_testsplit,
                    "steps of valid/test users that still train", "T")
      ->check(within(at_least(0)))
      ->group(group);
}

}  // namespace slatetrain
