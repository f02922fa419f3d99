#include "tests/loader_test_expect.hpp"

#include <sstream>
#include <string>

namespace slatetrain::testing {

namespace {

template <typename T>
bool same(const std::vector<T>& actual, const std::vector<T>& expected, const char* name,
          std::string& failure) {
  if (actual.size() != expected.size()) {
    failure = std::string(name) + ": size " + std::to_string(actual.size()) + ", expected " +
              std::to_string(expected.size());
    return false;
  }
  for (size_t i = 0; i < actual.size(); ++i) {
    if (actual[i] != expected[i]) {
      std::ostringstream message;
      message << name << "[" << i << "] = " << static_cast<int64_t>(actual[i]) << ", expected "
              << static_cast<int64_t>(expected[i]);
      failure = message.str();
      return false;
    }
  }
  return true;
}

}  // namespace

::testing::AssertionResult batch_matches(const SequenceBatch& batch, const TestDataset& dataset,
                                         const std::vector<int64_t>& rows, LoaderPhase phase,
                                         int t_testsplit) {
  const int T = batch.max_steps, S = batch.slate_slots;
  const auto B = static_cast<size_t>(batch.batch_users);
  if (batch.valid_users != static_cast<int64_t>(rows.size()) || rows.size() > B)
    return ::testing::AssertionFailure() << "valid_users " << batch.valid_users << " of "
                                         << batch.batch_users << ", expected " << rows.size();
  // shapes: [B], [B,T,S], [B,T]
  std::vector<int64_t> user_row(B, -1);
  std::vector<uint8_t> split(B, 0);
  std::vector<int32_t> slate(B * T * S, 0), click(B * T, 0);
  std::vector<uint8_t> click_idx(B * T, 0), slate_length(B * T, 0), interaction_type(B * T, 0),
      step_mask(B * T, 0);
  int64_t masked = 0, real = 0;
  for (size_t b = 0; b < rows.size(); ++b) {
    const TestUser& user = dataset.users[static_cast<size_t>(rows[b])];
    user_row[b] = user.row;
    split[b] = user.split;
    for (const TestStep& step : user.steps) {
      const size_t i = b * T + static_cast<size_t>(step.t);
      click[i] = step.click;
      click_idx[i] = step.click_idx;
      slate_length[i] = step.slate_length;
      interaction_type[i] = step.interaction_type;
      for (size_t s = 0; s < step.slate.size(); ++s) slate[i * S + s] = step.slate[s];
      // The phase rules written out (data/split.hpp and the SequenceBatch comment).
      const bool held_out = user.split != 0 && step.t >= t_testsplit;
      const bool counts = phase == LoaderPhase::kTrain ? !held_out : held_out;
      step_mask[i] = step.click != 0 && counts;
      masked += step_mask[i];
      real += step.click != 0;
    }
  }
  std::string failure;
  if (!same(batch.user_row, user_row, "user_row", failure) ||
      !same(batch.split, split, "split", failure) || !same(batch.slate, slate, "slate", failure) ||
      !same(batch.item, click, "item", failure) ||
      !same(batch.click_idx, click_idx, "click_idx", failure) ||
      !same(batch.slate_length, slate_length, "slate_length", failure) ||
      !same(batch.interaction_type, interaction_type, "interaction_type", failure) ||
      !same(batch.step_mask, step_mask, "step_mask", failure))
    return ::testing::AssertionFailure() << failure;
  if (batch.masked_steps != masked || batch.real_steps != real)
    return ::testing::AssertionFailure()
           << "masked_steps " << batch.masked_steps << " real_steps " << batch.real_steps
           << ", expected " << masked << " and " << real;
  return ::testing::AssertionSuccess();
}

}  // namespace slatetrain::testing
