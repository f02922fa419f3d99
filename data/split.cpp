#include "data/split.hpp"

#include <numeric>

#include "core/error.hpp"
#include "core/random.hpp"

namespace slatetrain {

const char* split_name(Split split) {
  switch (split) {
    case Split::kTrain:
      return "train";
    case Split::kValid:
      return "valid";
    case Split::kTest:
      return "test";
  }
  return "?";
}

namespace {

void check_parameters(const SplitParameters& parameters) {
  REQUIRE(parameters.valid_fraction >= 0 && parameters.test_fraction >= 0 &&
              parameters.valid_fraction + parameters.test_fraction <= 1.0,
          "split fractions must be non-negative and sum to at most 1 (valid "
              << parameters.valid_fraction << ", test " << parameters.test_fraction << ")");
  REQUIRE(parameters.t_testsplit >= 0, "t_testsplit must be non-negative");
}

}  // namespace

int64_t valid_user_count(int64_t num_users, const SplitParameters& parameters) {
  check_parameters(parameters);
  return static_cast<int64_t>(static_cast<double>(num_users) * parameters.valid_fraction);
}

int64_t test_user_count(int64_t num_users, const SplitParameters& parameters) {
  check_parameters(parameters);
  return static_cast<int64_t>(static_cast<double>(num_users) * parameters.test_fraction);
}

std::vector<Split> assign_split(int64_t num_users, const SplitParameters& parameters) {
  const int64_t num_valid = valid_user_count(num_users, parameters);
  const int64_t num_test = test_user_count(num_users, parameters);
  // Fisher-Yates over user rows, seeded; the first num_valid go to validation, the next
  // num_test to test.
  std::vector<int64_t> permutation(static_cast<size_t>(num_users));
  std::iota(permutation.begin(), permutation.end(), 0);
  Random random(hash_mix(parameters.seed, 0x73706c6974 /* "split" */));
  for (int64_t i = num_users - 1; i > 0; --i) {
    const auto j = static_cast<int64_t>(random.below(static_cast<uint64_t>(i + 1)));
    std::swap(permutation[static_cast<size_t>(i)], permutation[static_cast<size_t>(j)]);
  }
  std::vector<Split> split(static_cast<size_t>(num_users), Split::kTrain);
  for (int64_t i = 0; i < num_valid; ++i) split[static_cast<size_t>(permutation[i])] = Split::kValid;
  for (int64_t i = num_valid; i < num_valid + num_test; ++i)
    split[static_cast<size_t>(permutation[i])] = Split::kTest;
  return split;
}

}  // namespace slatetrain
