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

BatchDecoder::BatchDecoder(LoaderPhase phase, int max_steps, int slate_slots, int t_testsplit,
                           Protocol protocol, int64_t num_items)
    : phase_(phase),
      protocol_(protocol),
      max_steps_(max_steps),
      slate_slots_(slate_slots),
      t_testsplit_(t_testsplit),
      num_items_(num_items) {
  // click_idx and slate_length are stored as uint8.
  REQUIRE(max_steps > 0, "the window (max_steps) must be positive, not " << max_steps);
  REQUIRE(slate_slots >= 0 && slate_slots <= 256,
          "slate_slots must be in 0..256, not " << slate_slots);
  REQUIRE(t_testsplit >= 0, "t_testsplit must be non-negative, not " << t_testsplit);
  REQUIRE(num_items >= 0, "num_items must be non-negative, not " << num_items);
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
  const bool earlier = protocol_ == Protocol::kLeaveOneOut && phase_ != LoaderPhase::kTrain;
  resize_and_fill<int64_t>(batch.earlier_offsets, earlier ? users + 1 : 0, 0);
  batch.earlier_items.clear();
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

BatchDecoder::Window BatchDecoder::leave_one_out_window(int64_t events) const {
  Window window;
  const bool evaluated = events >= kLeaveOneOutMinEvents;
  switch (phase_) {
    case LoaderPhase::kTrain:
      // e_{n-2} and e_{n-1} are held out; a user too short to be evaluated trains on all.
      window.end = evaluated ? events - 2 : events;
      break;
    case LoaderPhase::kValid:
      window.end = events - 1;
      window.masked = window.end - 1;
      break;
    case LoaderPhase::kTest:
      window.end = events;
      window.masked = window.end - 1;
      break;
  }
  window.begin = std::max<int64_t>(0, window.end - max_steps_);
  return window;
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
  const int64_t step_begin = block.step_offsets[u] - step_base;
  const int64_t step_end = block.step_offsets[u + 1] - step_base;
  const int64_t num_steps = block.num_steps();
  // The slate layout has a position and a slate per step; the session layout neither (a step's
  // position is its index among the user's steps).
  const bool has_positions = static_cast<int64_t>(block.t.size()) == num_steps && num_steps > 0;
  const bool has_slates = static_cast<int64_t>(block.slate_offsets.size()) == num_steps + 1 &&
                          static_cast<int64_t>(block.click_idx.size()) == num_steps &&
                          static_cast<int64_t>(block.slate_length.size()) == num_steps;
  const bool no_slates = block.slate_offsets.size() <= 1 && block.click_idx.empty() &&
                         block.slate_length.empty() && block.slate_item.empty();
  REQUIRE(0 <= step_begin && step_begin <= step_end && step_end <= num_steps &&
              block.interaction_type.size() == block.click.size() &&
              (has_positions || block.t.empty()) && (has_slates || no_slates),
          "user row " << row << ": steps [" << step_begin << ", " << step_end
                      << ") outside the block's " << num_steps
                      << " steps, or the block's step arrays differ in length");
  REQUIRE(slate_slots_ == 0 || has_slates || num_steps == 0,
          "user row " << row << ": the dataset has " << slate_slots_
                      << " slate slots but the block holds no slates");
  const int64_t slate_base = has_slates ? block.slate_offsets.front() : 0;

  const int64_t b = batch.valid_users;
  batch.user_row[static_cast<size_t>(b)] = row;
  batch.split[static_cast<size_t>(b)] = split;

  // Copies stored step i of the block to window position t; true when it is a real step.
  auto place = [&](int64_t i, int t) {
    const auto step = static_cast<size_t>(i);
    const auto index = static_cast<size_t>(batch.step_index(b, t));
    const int32_t click = block.click[step];
    // An id past the item table would index another rank's rows or memory past them: refuse it
    // here, where the user row and the step are known (the loader adds the file).
    REQUIRE(num_items_ == 0 || (click >= 0 && click < num_items_),
            "user row " << row << ", step t=" << t << " (stored step " << i - step_begin
                        << "): click id " << click << " outside [0, " << num_items_
                        << "), the manifest's num_items");
    batch.item[index] = click;
    batch.interaction_type[index] = block.interaction_type[step];
    if (slate_slots_ > 0) {
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
      for (int64_t j = slate_begin; j < slate_end; ++j) {
        const int32_t id = block.slate_item[static_cast<size_t>(j)];
        REQUIRE(num_items_ == 0 || (id >= 0 && id < num_items_),
                "user row " << row << ", step t=" << t << " (stored step " << i - step_begin
                            << "), slate position " << j - slate_begin << ": item id " << id
                            << " outside [0, " << num_items_ << "), the manifest's num_items");
      }
      batch.click_idx[index] = block.click_idx[step];
      batch.slate_length[index] = block.slate_length[step];
      std::copy(block.slate_item.begin() + slate_begin, block.slate_item.begin() + slate_end,
                batch.slate.begin() + batch.slot_index(b, t, 0));
    }
    if (click == 0) return false;
    ++batch.real_steps;
    return true;
  };
  auto mask = [&](int t) {
    batch.step_mask[static_cast<size_t>(batch.step_index(b, t))] = 1;
    ++batch.masked_steps;
  };

  if (protocol_ == Protocol::kUsers) {
    REQUIRE(step_end - step_begin <= max_steps_, "user row " << row << " has "
                                                             << (step_end - step_begin)
                                                             << " steps, more than " << max_steps_);
    int previous_t = -1;
    for (int64_t i = step_begin; i < step_end; ++i) {
      const int t =
          has_positions ? block.t[static_cast<size_t>(i)] : static_cast<int>(i - step_begin);
      REQUIRE(t < max_steps_ && t > previous_t,
              "user row " << row << ": stored step " << (i - step_begin) << " has t = " << t
                          << " (previous " << previous_t << ", max_steps " << max_steps_ << ")");
      previous_t = t;
      if (place(i, t) && counts(split, t)) mask(t);
    }
  } else {
    const int64_t events = step_end - step_begin;
    REQUIRE(phase_ == LoaderPhase::kTrain || events >= kLeaveOneOutMinEvents,
            "user row " << row << " has " << events << " events, fewer than the "
                        << kLeaveOneOutMinEvents << " a leave-one-out " << loader_phase_name(phase_)
                        << " user needs");
    const Window window = leave_one_out_window(events);
    for (int64_t e = window.begin; e < window.end; ++e) {
      const int t = static_cast<int>(e - window.begin);
      if (place(step_begin + e, t) && (window.masked < 0 || e == window.masked)) mask(t);
    }
    if (!batch.earlier_offsets.empty()) {
      for (int64_t e = 0; e < window.begin; ++e) {
        const int32_t click = block.click[static_cast<size_t>(step_begin + e)];
        REQUIRE(num_items_ == 0 || (click >= 0 && click < num_items_),
                "user row " << row << ", event " << e << " (before the window): click id " << click
                            << " outside [0, " << num_items_ << "), the manifest's num_items");
        batch.earlier_items.push_back(click);
      }
      // Later rows (padding so far) end where this one ends, so every range stays valid.
      std::fill(batch.earlier_offsets.begin() + b + 1, batch.earlier_offsets.end(),
                static_cast<int64_t>(batch.earlier_items.size()));
    }
  }
  ++batch.valid_users;
}

}  // namespace slatetrain
