#include "data/batch_decoder.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "data/split.hpp"

namespace slatetrain {

const char* loader_phase_name(LoaderPhase phase) {
  switch (phase) {
    case LoaderPhase::kTrain:
      return "train";
    case LoaderPhase::kValid:
      return "valid";
    case LoaderPhase::kTest:
      return "test";
  }
  return "?";
}

BatchDecoder::BatchDecoder(LoaderPhase phase, int max_steps, int slate_slots, int t_testsplit)
    : phase_(phase), max_steps_(max_steps), slate_slots_(slate_slots), t_testsplit_(t_testsplit) {
  // click_idx, slate_length and t are stored as uint8.
  REQUIRE(max_steps > 0 && max_steps <= 256, "max_steps must be in 1..256, not " << max_steps);
  REQUIRE(slate_slots > 0 && slate_slots <= 256,
          "slate_slots must be in 1..256, not " << slate_slots);
  REQUIRE(t_testsplit >= 0, "t_testsplit must be non-negative, not " << t_testsplit);
}

namespace {

template <typename T>
void resize_and_fill(std::vector<T>& values, size_t size, T value) {
  values.resize(size);
  std::fill(values.begin(), values.end(), value);
}

}  // namespace

void BatchDecoder::reset(SequenceBatch& batch, int64_t batch_users) const {
  REQUIRE(batch_users > 0, "batch_users must be positive, not " << batch_users);
  batch.batch_users = batch_users;
  batch.valid_users = 0;
  batch.max_steps = max_steps_;
  batch.slate_slots = slate_slots_;
  batch.masked_steps = 0;
  batch.real_steps = 0;
  const auto users = static_cast<size_t>(batch_users);
  const size_t steps = users * static_cast<size_t>(max_steps_);
  resize_and_fill<int64_t>(batch.user_row, users, -1);
  resize_and_fill<uint8_t>(batch.split, users, 0);
  resize_and_fill<int32_t>(batch.item, steps, 0);
  // Slate arrays stay empty for a dataset without slates (slate_slots = 0).
  const size_t slate_steps = slate_slots_ > 0 ? steps : 0;
  resize_and_fill<int32_t>(batch.slate, steps * static_cast<size_t>(slate_slots_), 0);
  resize_and_fill<uint8_t>(batch.click_idx, slate_steps, 0);
  resize_and_fill<uint8_t>(batch.slate_length, slate_steps, 0);
  resize_and_fill<uint8_t>(batch.interaction_type, steps, 0);
  resize_and_fill<uint8_t>(batch.step_mask, steps, 0);
}

bool BatchDecoder::counts(uint8_t split, int t) const {
  const auto user_split = static_cast<Split>(split);
  switch (phase_) {
    case LoaderPhase::kTrain:
      return is_training_step(user_split, t, t_testsplit_);
    case LoaderPhase::kValid:
    case LoaderPhase::kTest:
      return is_held_out_step(user_split, t, t_testsplit_);
  }
  return false;
}

void BatchDecoder::append_user(const UserBlock& block, int64_t user, SequenceBatch& batch) const {
  const auto num_users = static_cast<int64_t>(block.row.size());
  REQUIRE(user >= 0 && user < num_users,
          "user index " << user << " outside the block of " << num_users << " users");
  REQUIRE(batch.valid_users < batch.batch_users,
          "batch of " << batch.batch_users << " users is already full");
  REQUIRE(batch.max_steps == max_steps_ && batch.slate_slots == slate_slots_,
          "batch shaped [" << batch.max_steps << "," << batch.slate_slots
                           << "] but the decoder writes [" << max_steps_ << "," << slate_slots_
                           << "]; call reset first");
  const auto u = static_cast<size_t>(user);
  const int64_t row = block.row[u];
  REQUIRE(
      block.step_offsets.size() == block.row.size() + 1 && block.split.size() == block.row.size(),
      "user block of " << num_users << " users has " << block.step_offsets.size()
                       << " step offsets and " << block.split.size() << " splits");
  const uint8_t split = block.split[u];
  REQUIRE(split <= 2, "user row " << row << ": split value " << int(split) << " is not 0, 1 or 2");

  // Offsets are rebased by the reader; subtracting the first entries keeps this correct even
  // for a block whose offsets were not.
  const int64_t step_base = block.step_offsets.front();
  const int64_t slate_base = block.slate_offsets.empty() ? 0 : block.slate_offsets.front();
  const int64_t step_begin = block.step_offsets[u] - step_base;
  const int64_t step_end = block.step_offsets[u + 1] - step_base;
  const auto num_steps = static_cast<int64_t>(block.t.size());
  REQUIRE(0 <= step_begin && step_begin <= step_end && step_end <= num_steps &&
              block.slate_offsets.size() == block.t.size() + 1 &&
              block.click.size() == block.t.size() && block.click_idx.size() == block.t.size() &&
              block.slate_length.size() == block.t.size() &&
              block.interaction_type.size() == block.t.size(),
          "user row " << row << ": steps [" << step_begin << ", " << step_end
                      << ") outside the block's " << num_steps
                      << " steps, or the block's step arrays differ in length");
  REQUIRE(step_end - step_begin <= max_steps_, "user row " << row << " has "
                                                           << (step_end - step_begin)
                                                           << " steps, more than " << max_steps_);

  const int64_t b = batch.valid_users;
  batch.user_row[static_cast<size_t>(b)] = row;
  batch.split[static_cast<size_t>(b)] = split;
  int previous_t = -1;
  for (int64_t i = step_begin; i < step_end; ++i) {
    const auto step = static_cast<size_t>(i);
    const int t = block.t[step];
    REQUIRE(t < max_steps_ && t > previous_t,
            "user row " << row << ": stored step " << (i - step_begin) << " has t = " << t
                        << " (previous " << previous_t << ", max_steps " << max_steps_ << ")");
    previous_t = t;
    const int64_t slate_begin = block.slate_offsets[step] - slate_base;
    const int64_t slate_end = block.slate_offsets[step + 1] - slate_base;
    REQUIRE(0 <= slate_begin && slate_begin <= slate_end &&
                slate_end <= static_cast<int64_t>(block.slate_item.size()),
            "user row " << row << ", step t=" << t << ": slate [" << slate_begin << ", "
                        << slate_end << ") outside the block's " << block.slate_item.size()
                        << " slate items");
    REQUIRE(slate_end - slate_begin <= slate_slots_,
            "user row " << row << ", step t=" << t << ": slate of " << (slate_end - slate_begin)
                        << " items, more than " << slate_slots_ << " slots");

    const auto index = static_cast<size_t>(batch.step_index(b, t));
    const int32_t click = block.click[step];
    batch.item[index] = click;
    batch.interaction_type[index] = block.interaction_type[step];
    if (slate_slots_ > 0) {
      batch.click_idx[index] = block.click_idx[step];
      batch.slate_length[index] = block.slate_length[step];
      std::copy(block.slate_item.begin() + slate_begin, block.slate_item.begin() + slate_end,
                batch.slate.begin() + batch.slot_index(b, t, 0));
    }
    if (click != 0) {
      ++batch.real_steps;
      if (counts(split, t)) {
        batch.step_mask[index] = 1;
        ++batch.masked_steps;
      }
    }
  }
  ++batch.valid_users;
}

}  // namespace slatetrain
