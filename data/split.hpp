// The published split (Eide et al. 2022): a seeded permutation of the users puts the first
// valid_fraction of them in validation and the next test_fraction in test. For those users the
// first t_testsplit steps still belong to training; their later steps are evaluated.
// The generator (for truth.json), the converter and the loader all use these functions.
#pragma once

#include <cstdint>
#include <vector>

namespace slatetrain {

enum class Split : uint8_t { kTrain = 0, kValid = 1, kTest = 2 };

const char* split_name(Split split);

struct SplitParameters {
  uint64_t seed = 0;
  double valid_fraction = 0.05;
  double test_fraction = 0.05;
  int t_testsplit = 5;
};

// Number of validation and test users for num_users (floor of the fractions).
int64_t valid_user_count(int64_t num_users, const SplitParameters& parameters);
int64_t test_user_count(int64_t num_users, const SplitParameters& parameters);

// The split of every user, indexed by the user's row in the source arrays.
std::vector<Split> assign_split(int64_t num_users, const SplitParameters& parameters);

// Whether step t of a user in `split` is trained on: every step of a training user, the
// first t_testsplit steps of a validation or test user.
inline bool is_training_step(Split split, int t, int t_testsplit) {
  return split == Split::kTrain || t < t_testsplit;
}

// Whether step t of a user in `split` is evaluated (held out): the steps from t_testsplit on
// of validation and test users.
inline bool is_held_out_step(Split split, int t, int t_testsplit) {
  return split != Split::kTrain && t >= t_testsplit;
}

}  // namespace slatetrain
