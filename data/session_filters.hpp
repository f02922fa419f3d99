// The k-core filter of `slateconvert sessions` (as RecBole's user_inter_num_interval and
// item_inter_num_interval with no upper bound): users with fewer than min_user events and items
// with fewer than min_item events are removed, together with their events, and the counts are
// taken again, until nothing changes (a fixed point: the largest set of users and items in
// which every user has min_user events and every item min_item). Users and items left with
// no event are removed as well.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

namespace slatetrain {

struct KCoreResult {
  std::vector<uint8_t> user_alive, item_alive;  // 1: kept
  // Events of each kept user and item among kept users and items (0 for the removed).
  std::vector<int64_t> user_events, item_events;
  int iterations = 0;  // passes that removed something
  int64_t removed_users = 0, removed_items = 0, removed_events = 0;
};

// user_events / item_events: each user's and item's events before the filter. for_each_event
// calls its argument with (user, item) of every event, in any order (one pass over the events).
KCoreResult k_core_filter(
    std::vector<int64_t> user_events, std::vector<int64_t> item_events, int64_t min_user,
    int64_t min_item,
    const std::function<void(const std::function<void(int32_t, int32_t)>&)>& for_each_event);

}  // namespace slatetrain
