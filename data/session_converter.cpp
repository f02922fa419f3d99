#include "data/session_converter.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <filesystem>
#include <future>
#include <limits>
#include <map>

#include "core/error.hpp"
#include "core/progress.hpp"
#include "data/checksum.hpp"
#include "data/converter.hpp"
#include "data/id_dictionary.hpp"
#include "data/item_table.hpp"
#include "data/output_directory.hpp"
#include "data/session_events.hpp"
#include "data/session_filters.hpp"
#include "data/session_sort.hpp"
#include "data/session_source.hpp"
#include "data/shard_writer.hpp"

namespace slatetrain {

namespace fs = std::filesystem;

namespace {

// Names of the interaction types in order of first appearance; 0 is "(none)". A source has a
// handful: a scan beats hashing.
class TypeNames {
 public:
  // The id of `name`, or 0 when a 256th name would be needed (the caller reports it).
  uint8_t id_of(std::string_view name) {
    for (size_t id = 1; id < names_.size(); ++id)
      if (names_[id] == name) return static_cast<uint8_t>(id);
    if (names_.size() == 256) return 0;
    names_.emplace_back(name);
    return static_cast<uint8_t>(names_.size() - 1);
  }
  const std::vector<std::string>& names() const { return names_; }

 private:
  std::vector<std::string> names_{"(none)"};
};

std::string rate_text(int64_t rows, double seconds) {
  return human_count(static_cast<double>(rows)) + " rows, " +
         human_count(seconds > 0 ? static_cast<double>(rows) / seconds : 0.0) + " rows/s";
}

// The manifest records inputs by file name, so two inputs may not share one.
void require_distinct_names(const std::vector<std::string>& inputs) {
  std::vector<std::string> names;
  for (const std::string& path : inputs) {
    const std::string name = fs::path(path).filename().string();
    REQUIRE(std::find(names.begin(), names.end(), name) == names.end(),
            path << ": two inputs are named " << name
                 << "; the manifest records inputs by name, rename one");
    names.push_back(name);
  }
}

// Sizes and SHA-256 of the inputs, keyed by file name.
std::vector<SourceFileInfo> fingerprint(const std::vector<std::string>& inputs) {
  std::vector<SourceFileInfo> files;
  for (const std::string& path : inputs)
    files.push_back({fs::path(path).filename().string(), static_cast<int64_t>(fs::file_size(path)),
                     sha256_file(path)});
  return files;
}

}  // namespace

int64_t integer_user_id(std::string_view original_id) {
  int64_t value = 0;
  const char* end = original_id.data() + original_id.size();
  const auto [stop, error] = std::from_chars(original_id.data(), end, value);
  return error == std::errc() && stop == end && !original_id.empty() ? value : -1;
}

Manifest convert_sessions(const SessionConvertOptions& options) {
  REQUIRE(options.shards >= 1, "--shards must be at least 1, got " << options.shards);
  REQUIRE(options.gzip_level >= 0 && options.gzip_level <= 9,
          "--gzip must be 0..9, got " << options.gzip_level);
  REQUIRE(options.memory_bytes >= 4096,
          "the memory budget must be at least 4 kB, got " << options.memory_bytes << " bytes");
  REQUIRE(options.block_users >= 1, "the block size must be at least 1 user");
  REQUIRE(options.filters.min_user_interactions >= 0 && options.filters.min_item_interactions >= 0,
          "--min-user-interactions and --min-item-interactions must be non-negative");
  // Headers and columns are checked before anything is created.
  SessionSource source(options.source);
  require_distinct_names(options.source.inputs);
  REQUIRE(!options.filters.min_rating || source.has_weight(),
          "--min-rating needs a rating (weight) column; " << source.event_files().front()
                                                          << " has none");
  OutputDirectory output(options.output, options.force, OutputKind::kConvertedDataset,
                         options.source.inputs);
  const std::string directory = output.temporary_path();
  const std::string scratch = directory + "/scratch";
  fs::create_directories(scratch);
  auto source_files = std::async(std::launch::async, fingerprint, options.source.inputs);
  // The fingerprints must finish before any return or throw: they read the inputs.
  struct WaitFor {
    std::future<std::vector<SourceFileInfo>>& future;
    ~WaitFor() {
      if (future.valid()) future.wait();
    }
  } wait_for_fingerprints{source_files};

  nlohmann::json counts;
  // 1. Read.
  IdDictionary users, items, groups;
  TypeNames types;
  std::vector<int64_t> user_events;
  std::vector<std::pair<int32_t, int32_t>> item_groups;  // (dense item, group id), by item
  int64_t removed_by_min_rating = 0;
  const std::string arrival_path = scratch + "/events.bin";
  {
    EventWriter arrival(arrival_path);
    Progress progress("sessions read", source.event_bytes(), "bytes");
    progress.set_enabled(options.show_progress);
    const bool has_group_column =
        !source.columns().group.empty() && options.source.format == SessionFormat::kCsv;
    EventRecord record;
    source.read_events(
        [&](const SourceEvent& event) {
          const int32_t user = users.intern(event.user);
          if (static_cast<size_t>(user) == user_events.size()) user_events.push_back(0);
          const int64_t known_items = items.size();
          const int32_t item = items.intern(event.item);
          if (has_group_column && item == known_items && !event.group.empty())
            item_groups.emplace_back(item, groups.intern(event.group) + 1);
          if (options.filters.min_rating && event.weight < *options.filters.min_rating) {
            ++removed_by_min_rating;
            return;
          }
          record.user = user;
          record.item = item;
          record.time = event.time;
          record.weight = event.weight;
          record.type = source.has_type() ? types.id_of(event.type) : 0;
          REQUIRE(!source.has_type() || record.type != 0,
                  source.event_files()[static_cast<size_t>(event.file)]
                      << ":" << event.line << ": more than 255 interaction types ('" << event.type
                      << "')");
          arrival.push(record);
          ++user_events[static_cast<size_t>(user)];
        },
        [&](int64_t bytes) {
          progress.update(bytes, rate_text(source.counts().records, progress.elapsed_seconds()));
        });
    arrival.close();
    progress.finish(rate_text(source.counts().records, progress.elapsed_seconds()));
  }
  const int64_t source_users = users.size(), source_items = items.size();
  counts["source"] = {{"records", source.counts().records},
                      {"events", source.counts().events},
                      {"users", source_users},
                      {"items", source_items}};
  if (source.has_locale())
    counts["source"]["records_skipped_by_locale"] = source.counts().records_skipped_by_locale;

  // Item groups from the item files: the first row of an item wins.
  int64_t item_rows_without_events = 0, item_rows_repeated = 0;
  {
    std::vector<uint8_t> described(static_cast<size_t>(source_items), 0);
    for (const auto& [item, group] : item_groups) described[static_cast<size_t>(item)] = 1;
    source.read_items(
        [&](std::string_view key, const std::vector<std::string_view>& names, const std::string&) {
          const int32_t item = items.find(key);
          if (item < 0) {
            ++item_rows_without_events;
            return;
          }
          if (described[static_cast<size_t>(item)]) {
            ++item_rows_repeated;
            return;
          }
          described[static_cast<size_t>(item)] = 1;
          for (const std::string_view name : names) {
            // MovieLens marks a movie without genres so; it is no group.
            if (name == "(no genres listed)") continue;
            item_groups.emplace_back(item, groups.intern(name) + 1);
          }
        });
    std::stable_sort(item_groups.begin(), item_groups.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
  }
  if (!source.item_files().empty())
    counts["item_files"] = {{"records", source.counts().item_records},
                            {"items_without_events", item_rows_without_events},
                            {"repeated_items", item_rows_repeated}};

  // 2. Order by user and time; drop consecutive duplicates.
  const std::string grouped_path = scratch + "/grouped.bin";
  std::vector<int64_t> kept_user_events(user_events.size(), 0);
  std::vector<int64_t> item_events(static_cast<size_t>(source_items), 0);
  int64_t kept_events = 0, removed_duplicates = 0;
  GroupByUserReport sort_report;
  {
    int64_t ordered_total = 0;
    for (const int64_t count : user_events) ordered_total += count;
    EventWriter grouped(grouped_path);
    Progress progress("sessions order", ordered_total, "events");
    progress.set_enabled(options.show_progress);
    GroupByUserOptions sort_options;
    sort_options.arrival_path = arrival_path;
    sort_options.scratch_directory = scratch;
    sort_options.memory_bytes = options.memory_bytes;
    sort_options.order_by_time = source.has_time();
    sort_report = group_events_by_user(
        sort_options, user_events,
        [&](int32_t user, const EventRecord* events, int64_t count) {
          for (int64_t e = 0; e < count; ++e) {
            if (options.filters.remove_consecutive_duplicates && e > 0 &&
                events[e].item == events[e - 1].item && events[e].type == events[e - 1].type) {
              ++removed_duplicates;
              continue;
            }
            grouped.push(events[e]);
            ++kept_user_events[static_cast<size_t>(user)];
            ++item_events[static_cast<size_t>(events[e].item)];
            ++kept_events;
          }
        },
        [&](int64_t done) { progress.update(done); });
    grouped.close();
    progress.finish();
    fs::remove(arrival_path);
  }
  counts["min_rating"] = {{"removed_events", removed_by_min_rating}};
  counts["consecutive_duplicates"] = {{"removed_events", removed_duplicates}};

  // 3. k-core (with thresholds 0 it only drops users and items left without events).
  const KCoreResult core =
      k_core_filter(kept_user_events, item_events, options.filters.min_user_interactions,
                    options.filters.min_item_interactions,
                    [&](const std::function<void(int32_t, int32_t)>& visit) {
                      EventReader reader(grouped_path);
                      EventRecord event;
                      while (reader.next(event)) visit(event.user, event.item);
                    });
  int64_t users_without_events = 0, items_without_events = 0;
  for (const int64_t count : kept_user_events) users_without_events += count == 0;
  for (const int64_t count : item_events) items_without_events += count == 0;
  counts["k_core"] = {{"iterations", core.iterations},
                      {"removed_users", core.removed_users},
                      {"removed_items", core.removed_items},
                      {"removed_events", core.removed_events}};
  counts["users_without_events_before_k_core"] = users_without_events;
  counts["items_without_events_before_k_core"] = items_without_events;

  // 4. Output ids: rows and item ids in order of first appearance among what is kept.
  const IdConventions ids;
  std::vector<int64_t> row_of_user(user_events.size(), -1);
  std::vector<int64_t> row_events;  // [rows] events of each output user
  std::vector<int32_t> id_of_item(static_cast<size_t>(source_items), 0);
  int64_t num_users = 0, num_events = 0;
  int max_steps = 0;
  for (size_t u = 0; u < row_of_user.size(); ++u) {
    if (!core.user_alive[u]) continue;
    row_of_user[u] = num_users++;
    row_events.push_back(core.user_events[u]);
    num_events += core.user_events[u];
    REQUIRE(core.user_events[u] <= std::numeric_limits<int>::max(),
            "user '" << users.key(static_cast<int32_t>(u)) << "' has " << core.user_events[u]
                     << " events, more than a window can hold");
    max_steps = std::max(max_steps, static_cast<int>(core.user_events[u]));
  }
  int64_t num_items = ids.first_item;
  for (size_t i = 0; i < id_of_item.size(); ++i)
    if (core.item_alive[i]) {
      REQUIRE(num_items < std::numeric_limits<int32_t>::max(), "more items than int32 ids hold");
      id_of_item[i] = static_cast<int32_t>(num_items++);
    }
  REQUIRE(num_users >= options.shards, source.event_files().front()
                                           << ": " << num_users
                                           << " users are left after the filters, fewer than the "
                                           << options.shards << " shards asked for");
  counts["output"] = {
      {"users", num_users}, {"items", num_items - ids.first_item}, {"events", num_events}};

  std::vector<Split> split;
  if (options.protocol == Protocol::kUsers) split = assign_split(num_users, options.split);

  // Shards: one pass over the grouped events, users in row order.
  Manifest manifest;
  manifest.format = "slatetrain-ragged-sessions";
  manifest.dataset = session_format_name(options.source.format);
  manifest.protocol = options.protocol;
  manifest.conversion_id = new_conversion_id();
  {
    Progress progress("sessions write", num_users, "users");
    progress.set_enabled(options.show_progress);
    ShardWriterOptions writer_options;
    writer_options.layout = ShardLayout::kSessions;
    writer_options.gzip_level = options.gzip_level;
    writer_options.timestamps = source.has_time();
    writer_options.weights = source.has_weight();
    writer_options.conversion_id = manifest.conversion_id;
    EventReader reader(grouped_path);
    EventRecord event;
    UserBlock block;
    int64_t row = 0;
    size_t user = 0;
    for (int shard = 0; shard < options.shards; ++shard) {
      ShardInfo info;
      info.file = shard_file_name(shard, options.shards);
      info.first_row = shard_first_row(num_users, options.shards, shard);
      const int64_t end_row = shard_first_row(num_users, options.shards, shard + 1);
      info.users = end_row - info.first_row;
      writer_options.expected_users = info.users;
      writer_options.expected_steps = 0;
      for (int64_t r = info.first_row; r < end_row; ++r)
        writer_options.expected_steps += row_events[static_cast<size_t>(r)];
      const std::string path = directory + "/" + info.file;
      ShardWriter writer(path, shard, options.shards, info.first_row, writer_options);
      while (row < end_row) {
        // Users without kept events have none in the grouped file; removed users' events are
        // read past.
        const int64_t stored = kept_user_events[user];
        const bool kept = row_of_user[user] >= 0;
        if (kept) {
          const std::string_view original = users.key(static_cast<int32_t>(user));
          block.row.push_back(row);
          block.user_id.push_back(integer_user_id(original));
          block.split.push_back(split.empty() ? 0 : static_cast<uint8_t>(split[row]));
          block.original_ids.append(original);
          block.original_id_offsets.push_back(static_cast<int64_t>(block.original_ids.size()));
        }
        for (int64_t e = 0; e < stored; ++e) {
          REQUIRE(reader.next(event) && event.user == static_cast<int32_t>(user),
                  grouped_path << ": the grouped events end early or are out of order");
          if (!kept || !core.item_alive[static_cast<size_t>(event.item)]) continue;
          block.click.push_back(id_of_item[static_cast<size_t>(event.item)]);
          block.interaction_type.push_back(event.type);
          if (writer_options.timestamps) block.timestamp.push_back(event.time);
          if (writer_options.weights) block.weight.push_back(event.weight);
        }
        ++user;
        if (!kept) continue;
        block.step_offsets.push_back(block.num_steps());
        ++row;
        if (block.num_users() >= options.block_users || row == end_row) {
          writer.append(block);
          block.clear();
          progress.update(row);
        }
      }
      writer.close();
      info.steps = writer.steps_written();
      info.slate_items = 0;
      info.bytes = static_cast<int64_t>(fs::file_size(path));
      info.crc32 = crc32_file(path);
      manifest.shards.push_back(info);
    }
    progress.finish();
  }
  fs::remove_all(scratch);

  // items.h5: every output id, the convention ids first with empty values.
  ItemTable table;
  table.category.assign(static_cast<size_t>(num_items), 0.0);
  for (int64_t id = 0; id < ids.first_item; ++id) {
    table.original_id.push_back("");
    if (source.has_locale()) table.locale.push_back("");
    table.group_offsets.push_back(0);
  }
  size_t next_group = 0;
  for (size_t i = 0; i < id_of_item.size(); ++i) {
    while (next_group < item_groups.size() &&
           item_groups[next_group].first < static_cast<int32_t>(i))
      ++next_group;
    if (!core.item_alive[i]) continue;
    const auto [original, locale] =
        SessionSource::split_item_key(items.key(static_cast<int32_t>(i)));
    table.original_id.push_back(original);
    if (source.has_locale()) table.locale.push_back(locale);
    const size_t first_group = table.groups.size();
    for (size_t g = next_group;
         g < item_groups.size() && item_groups[g].first == static_cast<int32_t>(i); ++g)
      table.groups.push_back(item_groups[g].second);
    if (table.groups.size() > first_group)
      table.category[static_cast<size_t>(id_of_item[i])] = table.groups[first_group];
    table.group_offsets.push_back(static_cast<int64_t>(table.groups.size()));
  }
  const std::string items_path = directory + "/" + kItemsFile;
  write_item_table(items_path, table);

  manifest.num_users = num_users;
  manifest.num_items = num_items;
  manifest.item_groups = {"(none)"};
  for (int32_t g = 0; g < groups.size(); ++g) manifest.item_groups.emplace_back(groups.key(g));
  manifest.num_item_groups = static_cast<int64_t>(manifest.item_groups.size());
  manifest.interaction_types = types.names();
  manifest.num_stored_steps = num_events;
  manifest.num_interactions = num_events;
  manifest.num_slate_items = 0;
  manifest.max_steps = std::max(max_steps, 1);
  manifest.slate_slots = 0;
  if (options.protocol == Protocol::kUsers) {
    static_cast<SplitParameters&>(manifest.split) = options.split;
    for (const Split value : split) {
      if (value == Split::kTrain) ++manifest.split.train_users;
      if (value == Split::kValid) ++manifest.split.valid_users;
      if (value == Split::kTest) ++manifest.split.test_users;
    }
  } else {
    for (size_t u = 0; u < core.user_events.size(); ++u) {
      if (!core.user_alive[u]) continue;
      if (core.user_events[u] >= kLeaveOneOutMinEvents)
        ++manifest.leave_one_out.evaluated;
      else
        ++manifest.leave_one_out.train_only;
    }
  }
  if (source.has_time()) manifest.step_datasets.push_back("timestamp");
  if (source.has_weight()) manifest.step_datasets.push_back("weight");
  manifest.conversion = session_options_to_json(options.source, options.filters);
  manifest.conversion["counts"] = counts;
  manifest.conversion["sort"] = {{"memory_bytes", options.memory_bytes},
                                 {"buckets", sort_report.buckets},
                                 {"largest_bucket_events", sort_report.largest_bucket}};
  manifest.source.files = source_files.get();
  manifest.items_file = {kItemsFile, static_cast<int64_t>(fs::file_size(items_path)),
                         crc32_file(items_path)};
  manifest.created_by = "slateconvert 0.1.0";
  int64_t shard_steps = 0;
  for (const ShardInfo& info : manifest.shards) shard_steps += info.steps;
  REQUIRE(shard_steps == num_events, "internal: the shards hold " << shard_steps
                                                                  << " events, the filters kept "
                                                                  << num_events);
  manifest.save(directory + "/" + kManifestFile);
  output.commit();
  return manifest;
}

}  // namespace slatetrain
