// UserBlock: users [begin, end) of one shard with their steps and slates, in the ragged layout
// of docs/FORMAT.md. What ShardWriter appends and ShardReader returns.
//
// Slate layout (FINN): t, click_idx, slate_length hold one value per step and slate_offsets one
// more; the session fields are empty. Session layout: t, click_idx, slate_length and
// slate_item are empty and slate_offsets stays {0} (no slates; a step's position is its index
// in the user's steps); timestamp and weight hold one value per step when the shard has them;
// every user has an original id (original_ids[original_id_offsets[u] .. [u + 1])).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
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
  // Session layout only. shapes: [n_steps] (or empty when the shard has none)
  std::vector<int64_t> timestamp;
  std::vector<float> weight;
  // Session layout only. shapes: [n_users + 1], [bytes of all ids]
  std::vector<int64_t> original_id_offsets{0};
  std::string original_ids;

  int64_t num_users() const { return static_cast<int64_t>(row.size()); }
  int64_t num_steps() const { return static_cast<int64_t>(click.size()); }
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
    timestamp.clear();
    weight.clear();
    original_id_offsets.assign(1, 0);
    original_ids.clear();
  }

  // The original id of user u (session layout), as the source wrote it.
  std::string_view original_id(int64_t u) const {
    const auto begin = static_cast<size_t>(original_id_offsets[static_cast<size_t>(u)]);
    const auto end = static_cast<size_t>(original_id_offsets[static_cast<size_t>(u) + 1]);
    return std::string_view(original_ids).substr(begin, end - begin);
  }
};

}  // namespace slatetrain
