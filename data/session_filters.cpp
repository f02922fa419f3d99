#include "data/session_filters.hpp"

#include <algorithm>

namespace slatetrain {

KCoreResult k_core_filter(
    std::vector<int64_t> user_events, std::vector<int64_t> item_events, int64_t min_user,
    int64_t min_item,
    const std::function<void(const std::function<void(int32_t, int32_t)>&)>& for_each_event) {
  KCoreResult result;
  int64_t total = 0;
  for (const int64_t count : user_events) total += count;
  result.user_alive.assign(user_events.size(), 1);
  result.item_alive.assign(item_events.size(), 1);
  // Users and items without events are not in any output; they are not "removed" here.
  for (size_t u = 0; u < user_events.size(); ++u) result.user_alive[u] = user_events[u] > 0;
  for (size_t i = 0; i < item_events.size(); ++i) result.item_alive[i] = item_events[i] > 0;
  while (true) {
    // Every vertex below its threshold goes at once (as RecBole does per iteration).
    bool changed = false;
    for (size_t u = 0; u < user_events.size(); ++u) {
      if (result.user_alive[u] && user_events[u] < min_user) {
        result.user_alive[u] = 0;
        ++result.removed_users;
        changed = true;
      }
    }
    for (size_t i = 0; i < item_events.size(); ++i) {
      if (result.item_alive[i] && item_events[i] < min_item) {
        result.item_alive[i] = 0;
        ++result.removed_items;
        changed = true;
      }
    }
    if (!changed) break;
    ++result.iterations;
    std::fill(user_events.begin(), user_events.end(), 0);
    std::fill(item_events.begin(), item_events.end(), 0);
    for_each_event([&](int32_t user, int32_t item) {
      if (result.user_alive[static_cast<size_t>(user)] &&
          result.item_alive[static_cast<size_t>(item)]) {
        ++user_events[static_cast<size_t>(user)];
        ++item_events[static_cast<size_t>(item)];
      }
    });
  }
  // A user (item) left without events by the other side's removals goes too, whatever the
  // thresholds: it changes no other count.
  int64_t kept = 0;
  for (size_t u = 0; u < user_events.size(); ++u) {
    if (!result.user_alive[u]) {
      user_events[u] = 0;
    } else if (user_events[u] == 0) {
      result.user_alive[u] = 0;
      ++result.removed_users;
    }
    kept += user_events[u];
  }
  for (size_t i = 0; i < item_events.size(); ++i) {
    if (!result.item_alive[i]) {
      item_events[i] = 0;
    } else if (item_events[i] == 0) {
      result.item_alive[i] = 0;
      ++result.removed_items;
    }
  }
  result.removed_events = total - kept;
  result.user_events = std::move(user_events);
  result.item_events = std::move(item_events);
  return result;
}

}  // namespace slatetrain
