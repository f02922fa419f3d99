#include "data/session_sort.hpp"

#include <algorithm>
#include <filesystem>
#include <memory>

#include "core/error.hpp"

namespace slatetrain {

namespace {

// Lays out `events` (users in [first_user, end_user)) by user, stably, and sorts each user's
// events by time; calls on_user for each.
void emit_bucket(std::vector<EventRecord>& events, std::vector<EventRecord>& laid_out,
                 int32_t first_user, int32_t end_user, const std::vector<int64_t>& user_counts,
                 bool order_by_time,
                 const std::function<void(int32_t, const EventRecord*, int64_t)>& on_user) {
  const auto users = static_cast<size_t>(end_user - first_user);
  std::vector<int64_t> offsets(users + 1, 0);
  for (size_t u = 0; u < users; ++u)
    offsets[u + 1] = offsets[u] + user_counts[static_cast<size_t>(first_user) + u];
  REQUIRE(offsets.back() == static_cast<int64_t>(events.size()),
          "internal: a bucket of users [" << first_user << ", " << end_user << ") holds "
                                          << events.size() << " events, the counts say "
                                          << offsets.back());
  laid_out.resize(events.size());
  std::vector<int64_t> next(offsets.begin(), offsets.end() - 1);
  for (const EventRecord& event : events)
    laid_out[static_cast<size_t>(next[static_cast<size_t>(event.user - first_user)]++)] = event;
  for (size_t u = 0; u < users; ++u) {
    const int64_t count = offsets[u + 1] - offsets[u];
    if (count == 0) continue;
    EventRecord* begin = laid_out.data() + offsets[u];
    if (order_by_time)
      std::stable_sort(begin, begin + count,
                       [](const EventRecord& a, const EventRecord& b) { return a.time < b.time; });
    on_user(first_user + static_cast<int32_t>(u), begin, count);
  }
}

}  // namespace

GroupByUserReport group_events_by_user(
    const GroupByUserOptions& options, const std::vector<int64_t>& user_counts,
    const std::function<void(int32_t, const EventRecord*, int64_t)>& on_user,
    const std::function<void(int64_t)>& on_progress) {
  // Two buffers of a bucket's events (loaded, laid out) fit the budget.
  const int64_t bucket_events =
      std::max<int64_t>(1, options.memory_bytes / (2 * static_cast<int64_t>(sizeof(EventRecord))));
  // Bucket b holds users [bucket_first[b], bucket_first[b + 1]).
  std::vector<int32_t> bucket_first{0};
  int64_t in_bucket = 0, total = 0, largest = 0;
  const auto num_users = static_cast<int32_t>(user_counts.size());
  for (int32_t u = 0; u < num_users; ++u) {
    const int64_t count = user_counts[static_cast<size_t>(u)];
    if (in_bucket > 0 && in_bucket + count > bucket_events) {
      bucket_first.push_back(u);
      largest = std::max(largest, in_bucket);
      in_bucket = 0;
    }
    in_bucket += count;
    total += count;
  }
  largest = std::max(largest, in_bucket);
  bucket_first.push_back(num_users);
  const size_t buckets = bucket_first.size() - 1;
  GroupByUserReport report;
  report.buckets = static_cast<int64_t>(buckets);
  report.largest_bucket = largest;

  // Sized once for the largest bucket: no reallocation (old and new buffers alive at once)
  // between buckets.
  std::vector<EventRecord> events, laid_out;
  events.reserve(static_cast<size_t>(largest));
  laid_out.reserve(static_cast<size_t>(largest));
  if (buckets == 1) {
    events.resize(static_cast<size_t>(total));
    EventReader reader(options.arrival_path);
    REQUIRE(static_cast<int64_t>(reader.read(events.data(), events.size())) == total,
            options.arrival_path << ": holds fewer events than counted (" << total << ")");
    emit_bucket(events, laid_out, 0, num_users, user_counts, options.order_by_time, on_user);
    if (on_progress) on_progress(total);
    return report;
  }

  // The bucket of each user, then one pass appending events to their bucket's run file.
  std::vector<uint32_t> bucket_of_user(static_cast<size_t>(num_users));
  for (size_t b = 0; b < buckets; ++b)
    std::fill(bucket_of_user.begin() + bucket_first[b],
              bucket_of_user.begin() + bucket_first[b + 1], static_cast<uint32_t>(b));
  std::vector<std::string> run_paths;
  {
    std::vector<std::unique_ptr<EventWriter>> runs;
    for (size_t b = 0; b < buckets; ++b) {
      run_paths.push_back(options.scratch_directory + "/run-" + std::to_string(b) + ".bin");
      runs.push_back(std::make_unique<EventWriter>(run_paths.back()));
    }
    EventReader reader(options.arrival_path);
    EventRecord event;
    int64_t done = 0;
    while (reader.next(event)) {
      runs[bucket_of_user[static_cast<size_t>(event.user)]]->push(event);
      if (on_progress && (++done & 0xFFFFF) == 0) on_progress(done / 2);
    }
    for (auto& run : runs) run->close();
  }
  int64_t done = total / 2;
  for (size_t b = 0; b < buckets; ++b) {
    int64_t expected = 0;
    for (int32_t u = bucket_first[b]; u < bucket_first[b + 1]; ++u)
      expected += user_counts[static_cast<size_t>(u)];
    events.resize(static_cast<size_t>(expected));
    {
      EventReader reader(run_paths[b]);
      REQUIRE(static_cast<int64_t>(reader.read(events.data(), events.size())) == expected,
              run_paths[b] << ": holds fewer events than counted (" << expected << ")");
    }
    std::error_code error;
    std::filesystem::remove(run_paths[b], error);
    emit_bucket(events, laid_out, bucket_first[b], bucket_first[b + 1], user_counts,
                options.order_by_time, on_user);
    done += expected / 2;
    if (on_progress) on_progress(done);
  }
  return report;
}

}  // namespace slatetrain
