#include "data/session_verify.hpp"

#include <algorithm>
#include <filesystem>
#include <memory>
#include <sstream>

#include "core/error.hpp"
#include "core/progress.hpp"
#include "data/id_dictionary.hpp"
#include "data/item_table.hpp"
#include "data/manifest.hpp"
#include "data/session_converter.hpp"
#include "data/session_source.hpp"
#include "data/shard_reader.hpp"
#include "data/split.hpp"
#include "data/verify_files.hpp"

namespace slatetrain {

namespace fs = std::filesystem;

namespace {

// One source event of the users being checked, with where it came from.
struct SourceStep {
  int32_t user = 0;  // the verifier's own dense ids (first appearance)
  int32_t item = 0;
  int64_t time = 0;
  float weight = 0;
  uint8_t type = 0;
  int32_t file = 0;
  int64_t line = 0;
};

// The shards' users in increasing row order, a block at a time.
class ShardCursor {
 public:
  ShardCursor(const Manifest& manifest, const std::string& directory)
      : manifest_(manifest), directory_(directory) {}

  // The block holding `row` and its index there; rows must not decrease between calls.
  const UserBlock& find(int64_t row, int64_t& index) {
    while (row >= block_end_) advance(row);
    index = row - block_begin_;
    return block_;
  }
  const std::string& path() const { return path_; }

 private:
  void advance(int64_t row) {
    while (shard_ < 0 || row >= manifest_.shards[static_cast<size_t>(shard_)].first_row +
                                    manifest_.shards[static_cast<size_t>(shard_)].users) {
      ++shard_;
      REQUIRE(shard_ < static_cast<int>(manifest_.shards.size()),
              "row " << row << " is beyond the shards' " << manifest_.num_users << " users");
      path_ = manifest_.shard_path(directory_, static_cast<size_t>(shard_));
      reader_ = std::make_unique<ShardReader>(path_);
    }
    const ShardInfo& shard = manifest_.shards[static_cast<size_t>(shard_)];
    const int64_t local = row - shard.first_row;
    const int64_t end = std::min(shard.users, local + 4096);
    block_ = reader_->read_users(local, end);
    block_begin_ = row;
    block_end_ = shard.first_row + end;
  }

  const Manifest& manifest_;
  std::string directory_;
  int shard_ = -1;
  std::unique_ptr<ShardReader> reader_;
  std::string path_;
  UserBlock block_;
  int64_t block_begin_ = 0, block_end_ = 0;
};

class SessionVerifier {
 public:
  explicit SessionVerifier(const VerifyOptions& options) : options_(options) {}

  VerifyReport run() {
    report_.session_conversion = true;
    manifest_ = Manifest::load(options_.output);
    manifest_path_ = options_.output + "/" + kManifestFile;
    check_output_files(manifest_, options_.output, report_.problems);
    session_options_from_json(manifest_.conversion, manifest_path_, source_options_, filters_);
    source_options_.inputs = options_.inputs;
    if (source_options_.inputs.empty() && !options_.input.empty())
      source_options_.inputs = {options_.input};
    if (!check_inputs()) return std::move(report_);
    SessionSource source(source_options_);
    has_time_ = source.has_time();
    has_weight_ = source.has_weight();
    read_outputs();
    if (!report_.ok()) return std::move(report_);
    count_source(source);
    check_users(source);
    if (report_.ok()) check_items(source);
    return std::move(report_);
  }

 private:
  void problem(const std::string& text) { report_.problems.push_back(text); }
  template <typename T>
  void expect_equal(const std::string& what, const T& actual, const T& recorded) {
    if (actual == recorded) return;
    std::ostringstream text;
    text << kManifestFile << ": " << what << " is " << recorded << ", the source gives " << actual;
    problem(text.str());
  }
  int64_t recorded_count(std::initializer_list<const char*> keys) const {
    const nlohmann::json* value = &manifest_.conversion["counts"];
    for (const char* key : keys) {
      if (!value->contains(key)) return -1;
      value = &(*value)[key];
    }
    return value->is_number_integer() ? value->get<int64_t>() : -1;
  }

  // The inputs must be the converted files, in the converted order.
  bool check_inputs() {
    std::vector<std::string> names;
    for (const std::string& path : source_options_.inputs) {
      if (!fs::is_regular_file(path)) {
        problem(path + ": missing");
        return false;
      }
      names.push_back(fs::path(path).filename().string());
    }
    const auto recorded = manifest_.conversion.value("inputs", std::vector<std::string>{});
    if (names != recorded) {
      std::string text;
      for (const std::string& name : recorded) text += (text.empty() ? "" : " ") + name;
      problem(manifest_path_ + ": the conversion read " + text +
              "; give those files to --input, in that order");
      return false;
    }
    for (size_t i = 0; i < names.size(); ++i)
      check_source_file(manifest_, names[i], source_options_.inputs[i], report_.problems);
    return true;
  }

  std::string item_key(const ItemTable& table, int64_t id) const {
    std::string key(table.original_id[id]);
    if (table.locale.size() > 0) {
      key.push_back(kItemLocaleSeparator);
      key.append(table.locale[id]);
    }
    return key;
  }

  void read_outputs() {
    const IdConventions& ids = manifest_.ids;
    table_ = read_item_table(manifest_.items_path(options_.output));
    if (table_.num_items() != manifest_.num_items)
      return problem(manifest_.items_path(options_.output) + ": " +
                     std::to_string(table_.num_items()) + " items, the manifest says " +
                     std::to_string(manifest_.num_items));
    for (int64_t id = ids.first_item; id < table_.num_items(); ++id) {
      if (output_items_.intern(item_key(table_, id)) != id - ids.first_item)
        return problem(manifest_.items_path(options_.output) + ": item " + std::to_string(id) +
                       " repeats the original id '" + std::string(table_.original_id[id]) + "'");
    }
    const std::vector<Split> split = manifest_.protocol == Protocol::kUsers
                                         ? assign_split(manifest_.num_users, manifest_.split)
                                         : std::vector<Split>();
    for (size_t s = 0; s < manifest_.shards.size(); ++s) {
      const ShardInfo& info = manifest_.shards[s];
      const std::string path = manifest_.shard_path(options_.output, s);
      ShardReader reader(path);
      if (reader.first_row() != info.first_row || reader.num_users() != info.users ||
          reader.num_steps() != info.steps || reader.has_slates() ||
          reader.has_timestamps() != manifest_.has_step_dataset("timestamp") ||
          reader.has_weights() != manifest_.has_step_dataset("weight"))
        return problem(path + ": its header, layout or sizes differ from manifest.json's");
      for (int64_t begin = 0; begin < info.users; begin += 4096) {
        const UserBlock block = reader.read_users(begin, std::min(info.users, begin + 4096));
        for (int64_t u = 0; u < block.num_users(); ++u) {
          const int64_t row = info.first_row + begin + u;
          const std::string_view original = block.original_id(u);
          const auto expected_split =
              split.empty() ? uint8_t{0} : static_cast<uint8_t>(split[static_cast<size_t>(row)]);
          if (block.row[u] != row || output_users_.intern(original) != row ||
              block.user_id[u] != integer_user_id(original) || block.split[u] != expected_split)
            return problem(path + ": user row " + std::to_string(row) + " (original id '" +
                           std::string(original) + "'): stored row " +
                           std::to_string(block.row[u]) + ", user_id " +
                           std::to_string(block.user_id[u]) + ", split " +
                           std::to_string(block.split[u]) + " (expected split " +
                           std::to_string(expected_split) + "), or the id repeats an earlier user");
          row_events_.push_back(block.step_offsets[u + 1] - block.step_offsets[u]);
        }
      }
    }
  }

  // First pass: the verifier's own ids, the per-user event counts and the source counts.
  void count_source(SessionSource& source) {
    Progress progress("verify read", source.event_bytes(), "bytes");
    progress.set_enabled(options_.show_progress);
    int64_t below_rating = 0;
    const bool group_column =
        source_options_.format == SessionFormat::kCsv && !source.columns().group.empty();
    source.read_events(
        [&](const SourceEvent& event) {
          const int32_t user = users_.intern(event.user);
          if (static_cast<size_t>(user) == user_events_.size()) user_events_.push_back(0);
          const int64_t known = items_.size();
          const int32_t item = items_.intern(event.item);
          if (item == known) first_group_.emplace_back(group_column ? event.group : "");
          if (filters_.min_rating && event.weight < *filters_.min_rating) {
            ++below_rating;
            return;
          }
          if (source.has_type()) type_of(event.type);
          ++user_events_[static_cast<size_t>(user)];
        },
        [&](int64_t bytes) { progress.update(bytes); });
    progress.finish();
    expect_equal<int64_t>("counts source records", source.counts().records,
                          recorded_count({"source", "records"}));
    expect_equal<int64_t>("counts source events", source.counts().events,
                          recorded_count({"source", "events"}));
    expect_equal<int64_t>("counts source users", users_.size(),
                          recorded_count({"source", "users"}));
    expect_equal<int64_t>("counts source items", items_.size(),
                          recorded_count({"source", "items"}));
    expect_equal<int64_t>("counts min_rating removed_events", below_rating,
                          recorded_count({"min_rating", "removed_events"}));
    if (type_names_ != manifest_.interaction_types)
      problem(manifest_path_ + ": interaction_types differ from the type names of the source");
  }

  uint8_t type_of(std::string_view name) {
    for (size_t id = 1; id < type_names_.size(); ++id)
      if (type_names_[id] == name) return static_cast<uint8_t>(id);
    if (type_names_.size() == 256) return 0;  // the converter refused this source
    type_names_.emplace_back(name);
    return static_cast<uint8_t>(type_names_.size() - 1);
  }

  // The source's events of users [first, end) (the verifier's ids), in source order.
  std::vector<SourceStep> collect(SessionSource& source, int32_t first, int32_t end) {
    std::vector<SourceStep> steps;
    source.read_events([&](const SourceEvent& event) {
      if (filters_.min_rating && event.weight < *filters_.min_rating) return;
      const int32_t user = users_.find(event.user);
      if (user < first || user >= end) return;
      SourceStep step;
      step.user = user;
      step.item = items_.find(event.item);
      step.time = event.time;
      step.weight = event.weight;
      step.type = source.has_type() ? type_of(event.type) : 0;
      step.file = event.file;
      step.line = event.line;
      steps.push_back(step);
    });
    return steps;
  }

  std::string where(const SessionSource& source, const SourceStep& step) const {
    return source.event_files()[static_cast<size_t>(step.file)] + ":" + std::to_string(step.line);
  }

  void check_users(SessionSource& source) {
    const int64_t budget = std::max<int64_t>(
        1, options_.memory_bytes / (2 * static_cast<int64_t>(sizeof(SourceStep))));
    ShardCursor cursor(manifest_, options_.output);
    const int64_t min_user = filters_.min_user_interactions;
    item_support_.assign(static_cast<size_t>(items_.size()), 0);
    output_item_events_.assign(static_cast<size_t>(manifest_.num_items), 0);
    int64_t duplicates = 0, deduplicated = 0, rows_seen = 0, previous_row = -1;
    Progress progress("verify users", users_.size(), "users");
    progress.set_enabled(options_.show_progress);
    std::vector<SourceStep> kept;
    for (int32_t first = 0; first < users_.size();) {
      int32_t end = first;
      int64_t events = 0;
      while (end < users_.size() && (events == 0 || events + user_events_[end] <= budget))
        events += user_events_[static_cast<size_t>(end++)];
      std::vector<SourceStep> steps = collect(source, first, end);
      std::stable_sort(steps.begin(), steps.end(), [&](const SourceStep& a, const SourceStep& b) {
        if (a.user != b.user) return a.user < b.user;
        return has_time_ && a.time < b.time;
      });
      for (size_t begin = 0; begin < steps.size();) {
        size_t stop = begin;
        while (stop < steps.size() && steps[stop].user == steps[begin].user) ++stop;
        kept.clear();
        for (size_t e = begin; e < stop; ++e) {
          if (filters_.remove_consecutive_duplicates && !kept.empty() &&
              kept.back().item == steps[e].item && kept.back().type == steps[e].type) {
            ++duplicates;
            continue;
          }
          kept.push_back(steps[e]);
        }
        deduplicated += static_cast<int64_t>(kept.size());
        const int32_t user = steps[begin].user;
        const int64_t row = output_users_.find(users_.key(user));
        if (row >= 0) {
          if (row <= previous_row)
            return problem("user '" + std::string(users_.key(user)) + "' is row " +
                           std::to_string(row) + ", after row " + std::to_string(previous_row) +
                           ": rows are not in order of first appearance");
          previous_row = row;
          ++rows_seen;
          if (!compare_user(source, cursor, row, user, kept)) return;
        } else {
          // A removed user: it could not have stayed with the kept items.
          int64_t support = 0;
          for (const SourceStep& step : kept)
            support += output_items_.find(items_.key(step.item)) >= 0;
          if (support > 0 && support >= min_user)
            return problem("user '" + std::string(users_.key(user)) +
                           "' is not in the output, but has " + std::to_string(support) +
                           " events with kept items (--min-user-interactions " +
                           std::to_string(min_user) + ")");
        }
        begin = stop;
      }
      first = end;
      progress.update(first);
    }
    progress.finish();
    if (rows_seen != manifest_.num_users)
      return problem("the source has " + std::to_string(rows_seen) + " of the shards' " +
                     std::to_string(manifest_.num_users) + " users");
    expect_equal<int64_t>("counts consecutive_duplicates removed_events", duplicates,
                          recorded_count({"consecutive_duplicates", "removed_events"}));
    expect_equal<int64_t>("counts k_core removed_events", deduplicated - manifest_.num_interactions,
                          recorded_count({"k_core", "removed_events"}));
    int64_t evaluated = 0, longest = 0;
    for (const int64_t count : row_events_) {
      evaluated += count >= kLeaveOneOutMinEvents;
      longest = std::max(longest, count);
    }
    expect_equal<int64_t>("max_steps", std::max<int64_t>(longest, 1), manifest_.max_steps);
    if (manifest_.protocol == Protocol::kLeaveOneOut)
      expect_equal<int64_t>("leave_one_out users evaluated", evaluated,
                            manifest_.leave_one_out.evaluated);
  }

  // The kept events of one user against its row in the shards.
  bool compare_user(const SessionSource& source, ShardCursor& cursor, int64_t row, int32_t user,
                    const std::vector<SourceStep>& kept) {
    int64_t index = 0;
    const UserBlock& block = cursor.find(row, index);
    const auto u = static_cast<size_t>(index);
    const int64_t first = block.step_offsets[u], count = block.step_offsets[u + 1] - first;
    const std::string name = "user '" + std::string(users_.key(user)) + "' (row " +
                             std::to_string(row) + ", " + cursor.path() + ")";
    int64_t step = 0;
    for (const SourceStep& event : kept) {
      const int32_t id = output_items_.find(items_.key(event.item));
      if (id < 0) {
        ++item_support_[static_cast<size_t>(event.item)];
        continue;
      }
      const int32_t expected = id + static_cast<int32_t>(manifest_.ids.first_item);
      if (step >= count)
        return problem(name + ": the shards end after " + std::to_string(count) +
                       " events; the source has more, from " + where(source, event)),
               false;
      const auto i = static_cast<size_t>(first + step);
      const bool same = block.click[i] == expected && block.interaction_type[i] == event.type &&
                        (!has_time_ || block.timestamp[i] == event.time) &&
                        (!has_weight_ || block.weight[i] == event.weight);
      if (!same) {
        std::ostringstream text;
        text << name << " event " << step << ": the source has item "
             << std::string(table_.original_id[expected]) << " (id " << expected << ")";
        if (has_time_) text << " at " << event.time;
        if (has_weight_) text << " weight " << event.weight;
        text << " type " << int(event.type) << " (" << where(source, event)
             << "); the shards have id " << block.click[i];
        if (has_time_) text << " at " << block.timestamp[i];
        if (has_weight_) text << " weight " << block.weight[i];
        text << " type " << int(block.interaction_type[i]);
        return problem(text.str()), false;
      }
      ++output_item_events_[static_cast<size_t>(expected)];
      ++step;
      ++report_.steps_compared;
    }
    if (step != count)
      return problem(name + ": the shards hold " + std::to_string(count) + " events, the source " +
                     std::to_string(step)),
             false;
    if (count < filters_.min_user_interactions)
      return problem(name + ": " + std::to_string(count) +
                     " events, below --min-user-interactions " +
                     std::to_string(filters_.min_user_interactions)),
             false;
    ++report_.users_compared;
    return true;
  }

  void check_items(SessionSource& source) {
    const IdConventions& ids = manifest_.ids;
    const std::string items_path = manifest_.items_path(options_.output);
    const int64_t min_item = filters_.min_item_interactions;
    int32_t previous = -1;
    for (int64_t id = ids.first_item; id < manifest_.num_items; ++id) {
      const std::string key = item_key(table_, id);
      const int32_t item = items_.find(key);
      if (item < 0)
        return problem(items_path + ": item " + std::to_string(id) + " ('" +
                       std::string(table_.original_id[id]) + "') is not in the source");
      if (item <= previous)
        return problem(items_path + ": item " + std::to_string(id) + " ('" +
                       std::string(table_.original_id[id]) +
                       "') is out of the order of first appearance");
      previous = item;
      const int64_t events = output_item_events_[static_cast<size_t>(id)];
      if (events == 0 || events < min_item)
        return problem(items_path + ": item " + std::to_string(id) + " ('" +
                       std::string(table_.original_id[id]) + "') has " + std::to_string(events) +
                       " events (--min-item-interactions " + std::to_string(min_item) + ")");
    }
    for (int32_t item = 0; item < items_.size(); ++item) {
      const int64_t support = item_support_[static_cast<size_t>(item)];
      if (output_items_.find(items_.key(item)) < 0 && support > 0 && support >= min_item)
        return problem(
            "item '" + std::string(SessionSource::split_item_key(items_.key(item)).first) +
            "' is not in the output, but has " + std::to_string(support) +
            " events from kept users (--min-item-interactions " + std::to_string(min_item) + ")");
    }
    // Groups: the csv group column's first value, then the first item-file row of each item.
    std::vector<std::vector<std::string>> expected(static_cast<size_t>(manifest_.num_items));
    std::vector<uint8_t> described(static_cast<size_t>(manifest_.num_items), 0);
    for (int64_t id = ids.first_item; id < manifest_.num_items; ++id) {
      const std::string& group =
          first_group_[static_cast<size_t>(items_.find(item_key(table_, id)))];
      if (!group.empty()) {
        expected[static_cast<size_t>(id)].push_back(group);
        described[static_cast<size_t>(id)] = 1;
      }
    }
    source.read_items(
        [&](std::string_view key, const std::vector<std::string_view>& groups, const std::string&) {
          const int32_t found = output_items_.find(key);
          if (found < 0) return;
          const auto id = static_cast<size_t>(found + ids.first_item);
          if (described[id]) return;
          described[id] = 1;
          for (const std::string_view group : groups)
            if (group != "(no genres listed)") expected[id].emplace_back(group);
        });
    for (int64_t id = 0; id < manifest_.num_items; ++id) {
      std::vector<std::string> stored;
      for (int64_t g = table_.group_offsets[id]; g < table_.group_offsets[id + 1]; ++g) {
        const int32_t group = table_.groups[static_cast<size_t>(g)];
        stored.push_back(group >= 0 && group < static_cast<int32_t>(manifest_.item_groups.size())
                             ? manifest_.item_groups[static_cast<size_t>(group)]
                             : "?");
      }
      const double category = stored.empty() ? 0.0 : table_.groups[table_.group_offsets[id]];
      if (stored != expected[static_cast<size_t>(id)] || table_.category[id] != category) {
        std::string text;
        for (const std::string& group : expected[static_cast<size_t>(id)])
          text += (text.empty() ? "" : ", ") + group;
        return problem(items_path + ": item " + std::to_string(id) + " ('" +
                       std::string(table_.original_id[id]) +
                       "') has other groups than the source's (" + text + ")");
      }
    }
  }

  VerifyOptions options_;
  Manifest manifest_;
  std::string manifest_path_;
  VerifyReport report_;
  SessionSourceOptions source_options_;
  SessionFilters filters_;
  bool has_time_ = false, has_weight_ = false;
  ItemTable table_;
  IdDictionary output_items_, output_users_;  // output id - first_item / row, by original id
  std::vector<int64_t> row_events_;
  IdDictionary users_, items_;  // the verifier's own, over the whole source
  std::vector<int64_t> user_events_;
  std::vector<std::string> first_group_;  // per source item: its csv group column value
  std::vector<std::string> type_names_{"(none)"};
  std::vector<int64_t> item_support_;        // removed items: events from kept users
  std::vector<int64_t> output_item_events_;  // per output id
};

}  // namespace

VerifyReport verify_session_conversion(const VerifyOptions& options) {
  return SessionVerifier(options).run();
}

}  // namespace slatetrain
