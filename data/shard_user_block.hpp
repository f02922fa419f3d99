// UserBlock: users [begin, end) of one shard with their steps and slates, in the ragged layout
// of docs/FORMAT.md. What ShardWriter appends and ShardReader returns.
#pragma once

#include <cstdint>
#include <vector>

namespace slatetrain {

// Offsets are rebased so that the block's first step and first slate item are at 0.
struct UserBlock {
  // shapes: [n_users]
  std::vector<int64_t> row, user_id;
  std::vector<uint8_t> split;  // Split values (data/split.hpp)
  // shapes: [n_users + 1]; user u's steps are [step_offsets[u], step_offsets[u + 1])
  std::vector<int64_t> step_offsets{0};
  // shapes: [n_steps]
  std::vector<uint8_t> t, click_idx, slate_length, interaction_type;
  std::vector<int32_t> click;
  // shapes: [n_steps + 1]; step i's slate is slate_item[slate_offsets[i] .. slate_offsets[i + 1])
  std::vector<int64_t> slate_offsets{0};
  // shapes: [n_slate_items]
  std::vector<int32_t> slate_item;

  int64_t num_users() const { return static_cast<int64_t>(row.size()); }
  int64_t num_steps() const { return static_cast<int64_t>(t.size()); }
  int64_t num_slate_items() const { return static_cast<int64_t>(slate_item.size()); }

  // Empties the block (keeping capacity), offsets back to {0}.
  void clear() {
    row.clear();
    user_id.clear();
    split.clear();
    step_offsets.assign(1, 0);
    t.clear();
    click_idx.clear();
    slate_length.clear();
    interaction_type.clear();
    click.clear();
    slate_offsets.assign(1, 0);
    slate_item.clear();
  }
};

}  // namespace slatetrain
