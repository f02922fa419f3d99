// Groups the converter's events by user and orders each user's events by time, with bounded
// memory: the per-user counts (known from the first pass) cut the users, in dense order, into
// buckets of at most memory_bytes / 48 events; one pass over the arrival-order file appends
// each event to its bucket's run file (skipped when one bucket holds everything), then each
// bucket is loaded, laid out by user with a counting sort (stable) and each user's events
// stably sorted by time, so ties keep the source's order. Run files live in scratch_directory
// and are removed when read.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "data/session_events.hpp"

namespace slatetrain {

struct GroupByUserOptions {
  std::string arrival_path;       // every event, in source order
  std::string scratch_directory;  // for the run files
  int64_t memory_bytes = int64_t{1} << 30;
  bool order_by_time = true;  // false: keep source order (a source without times)
};

struct GroupByUserReport {
  int64_t buckets = 0;         // 1: sorted in memory; more: that many run files
  int64_t largest_bucket = 0;  // events
};

// Calls on_user(user, its events in order, count) for each user with events, in increasing
// dense user id; on_progress(events done) now and then. user_counts[u] must be the number of
// events of user u in the arrival file.
GroupByUserReport group_events_by_user(
    const GroupByUserOptions& options, const std::vector<int64_t>& user_counts,
    const std::function<void(int32_t, const EventRecord*, int64_t)>& on_user,
    const std::function<void(int64_t)>& on_progress = {});

}  // namespace slatetrain
