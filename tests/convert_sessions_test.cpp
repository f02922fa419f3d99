// slateconvert sessions over logs written in exactly the source formats
// (tests/session_log_generator.hpp): every kept user's events, in time order with ties in file
// order, every item's original id and groups, and the filter counts equal what a naive
// in-memory reading of the same events gives (written out here, independent of the converter's
// buckets and run files); verify proves the output and finds a changed source; bad input (a
// malformed line, a missing column, a non-numeric timestamp, an open quote, a NumPy summary) is
// refused naming the file, the line and the column, and leaves nothing behind.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "core/error.hpp"
#include "data/item_table.hpp"
#include "data/manifest.hpp"
#include "data/session_converter.hpp"
#include "data/session_source.hpp"
#include "data/shard_reader.hpp"
#include "data/verify.hpp"
#include "tests/session_log_generator.hpp"

namespace slatetrain {
namespace {

namespace fs = std::filesystem;
using testing::GeneratedEvent;
using testing::GeneratedItem;
using testing::SessionLogSpec;

// What the conversion must give, computed naively from the generated events.
struct Expected {
  std::vector<std::string> users;                   // original ids by row
  std::vector<std::vector<GeneratedEvent>> events;  // by row, in order
  std::vector<std::string> items;                   // item keys by id - first_item
  std::map<std::string, std::vector<std::string>> groups;
  int64_t below_rating = 0, duplicates = 0, k_core_events = 0;
};

Expected expected_conversion(const std::vector<GeneratedEvent>& events,
                             const std::vector<GeneratedItem>& item_rows, bool has_time,
                             const SessionFilters& filters, bool csv_groups) {
  Expected out;
  std::map<std::string, size_t> user_index, item_index;
  std::vector<std::string> user_order, item_order;
  for (const GeneratedEvent& event : events) {
    if (user_index.emplace(event.user, user_order.size()).second) user_order.push_back(event.user);
    if (item_index.emplace(event.item, item_order.size()).second) {
      item_order.push_back(event.item);
      if (csv_groups && !event.group.empty()) out.groups[event.item] = {event.group};
    }
  }
  std::vector<std::vector<GeneratedEvent>> by_user(user_order.size());
  for (const GeneratedEvent& event : events) {
    if (filters.min_rating && event.rating < *filters.min_rating) {
      ++out.below_rating;
      continue;
    }
    by_user[user_index[event.user]].push_back(event);
  }
  for (auto& list : by_user) {
    if (has_time)
      std::stable_sort(
          list.begin(), list.end(),
          [](const GeneratedEvent& a, const GeneratedEvent& b) { return a.time < b.time; });
    if (!filters.remove_consecutive_duplicates) continue;
    std::vector<GeneratedEvent> kept;
    for (const GeneratedEvent& event : list) {
      if (!kept.empty() && kept.back().item == event.item && kept.back().type == event.type) {
        ++out.duplicates;
        continue;
      }
      kept.push_back(event);
    }
    list = kept;
  }
  // k-core: remove below-threshold users and items until none is.
  std::set<std::string> dead_users, dead_items;
  int64_t before = 0;
  for (const auto& list : by_user) before += static_cast<int64_t>(list.size());
  while (true) {
    std::map<std::string, int64_t> user_count, item_count;
    for (const auto& list : by_user)
      for (const GeneratedEvent& event : list)
        if (!dead_users.count(event.user) && !dead_items.count(event.item)) {
          ++user_count[event.user];
          ++item_count[event.item];
        }
    bool changed = false;
    for (const auto& [user, count] : user_count)
      if (count < filters.min_user_interactions) changed |= dead_users.insert(user).second;
    for (const auto& [item, count] : item_count)
      if (count < filters.min_item_interactions) changed |= dead_items.insert(item).second;
    if (!changed) break;
  }
  std::set<std::string> live_items;
  for (size_t u = 0; u < by_user.size(); ++u) {
    std::vector<GeneratedEvent> kept;
    for (const GeneratedEvent& event : by_user[u])
      if (!dead_users.count(event.user) && !dead_items.count(event.item)) kept.push_back(event);
    if (kept.empty()) continue;
    for (const GeneratedEvent& event : kept) live_items.insert(event.item);
    out.k_core_events += 0;
    out.users.push_back(user_order[u]);
    out.events.push_back(kept);
  }
  int64_t after = 0;
  for (const auto& list : out.events) after += static_cast<int64_t>(list.size());
  out.k_core_events = before - after;
  for (const std::string& item : item_order)
    if (live_items.count(item)) out.items.push_back(item);
  for (const GeneratedItem& row : item_rows) {
    std::vector<std::string> groups;
    for (const std::string& group : row.groups) groups.push_back(group);
    out.groups.emplace(row.item, groups);  // the first row of an item wins
  }
  return out;
}

fs::path scratch_root(const std::string& name) {
  const fs::path path =
      fs::temp_directory_path() / ("slatetrain-sessions-" + name + "-" + std::to_string(getpid()));
  fs::remove_all(path);
  fs::create_directories(path);
  return path;
}

struct FormatCase {
  std::string generator;  // SessionLogSpec::format
  SessionFormat format;
  std::string delimiter;
  bool has_time, has_weight, has_type, csv_groups;
};

std::ostream& operator<<(std::ostream& out, const FormatCase& c) {
  return out << c.generator << (c.delimiter.empty() ? "" : " '" + c.delimiter + "'");
}

class ConvertSessions : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = scratch_root(::testing::UnitTest::GetInstance()->current_test_info()->name());
    output_ = (root_ / "converted").string();
  }
  void TearDown() override { fs::remove_all(root_); }

  // Generates the log, keeping every event and item row for the expectation.
  std::vector<std::string> generate(const SessionLogSpec& spec) {
    events_.clear();
    items_.clear();
    return testing::write_session_log(
        spec, (root_ / "source").string(), [&](const GeneratedEvent& e) { events_.push_back(e); },
        [&](const GeneratedItem& i) { items_.push_back(i); });
  }

  SessionConvertOptions options(const FormatCase& c, const std::vector<std::string>& inputs) const {
    SessionConvertOptions o;
    o.source.format = c.format;
    o.source.inputs = inputs;
    if (c.format == SessionFormat::kCsv) {
      o.source.columns = {"session", "item", "time", "value", "event", "category"};
      o.source.delimiter = c.delimiter;
    }
    o.output = output_;
    o.shards = 3;
    o.block_users = 7;
    o.memory_bytes = 24 * 2 * 300;  // 300 events a bucket: several run files
    o.show_progress = false;
    return o;
  }

  VerifyReport verify(const std::vector<std::string>& inputs, int64_t memory_bytes = 1 << 20) {
    VerifyOptions o;
    o.inputs = inputs;
    o.output = output_;
    o.memory_bytes = memory_bytes;
    o.show_progress = false;
    return verify_conversion(o);
  }

  // Every row, event and item of the output against the expectation.
  void expect_output(const Expected& expected, const FormatCase& c) {
    const Manifest manifest = Manifest::load(output_);
    ASSERT_EQ(manifest.num_users, static_cast<int64_t>(expected.users.size()));
    ASSERT_EQ(manifest.num_items - 3, static_cast<int64_t>(expected.items.size()));
    EXPECT_EQ(manifest.slate_slots, 0);
    EXPECT_EQ(manifest.has_step_dataset("timestamp"), c.has_time);
    EXPECT_EQ(manifest.has_step_dataset("weight"), c.has_weight);
    std::map<std::string, int32_t> item_id;
    for (size_t i = 0; i < expected.items.size(); ++i)
      item_id[expected.items[i]] = static_cast<int32_t>(i + 3);
    int64_t row = 0, longest = 0, evaluated = 0;
    for (size_t s = 0; s < manifest.shards.size(); ++s) {
      ShardReader reader(manifest.shard_path(output_, s));
      const UserBlock block = reader.read_users(0, reader.num_users());
      for (int64_t u = 0; u < block.num_users(); ++u, ++row) {
        ASSERT_EQ(block.row[u], row);
        ASSERT_EQ(std::string(block.original_id(u)), expected.users[row]) << "row " << row;
        EXPECT_EQ(block.user_id[u], integer_user_id(expected.users[row]));
        const auto& events = expected.events[row];
        const int64_t first = block.step_offsets[u];
        ASSERT_EQ(block.step_offsets[u + 1] - first, static_cast<int64_t>(events.size()))
            << "row " << row << " (" << expected.users[row] << ")";
        longest = std::max<int64_t>(longest, events.size());
        evaluated += events.size() >= 3;
        for (size_t e = 0; e < events.size(); ++e) {
          const size_t i = static_cast<size_t>(first) + e;
          ASSERT_EQ(block.click[i], item_id[events[e].item])
              << "row " << row << " event " << e << " item " << events[e].item;
          if (c.has_time) {
            ASSERT_EQ(block.timestamp[i], events[e].time) << "row " << row << " event " << e;
          }
          if (c.has_weight) {
            ASSERT_EQ(block.weight[i], static_cast<float>(events[e].rating)) << "row " << row;
          }
          const std::string type = manifest.interaction_types.at(block.interaction_type[i]);
          ASSERT_EQ(type, c.has_type ? events[e].type : "(none)")
              << "row " << row << " event " << e;
        }
      }
    }
    EXPECT_EQ(manifest.max_steps, longest);
    EXPECT_EQ(manifest.leave_one_out.evaluated, evaluated);
    const ItemTable table = read_item_table(manifest.items_path(output_));
    ASSERT_EQ(table.num_items(), manifest.num_items);
    for (size_t i = 0; i < expected.items.size(); ++i) {
      const auto [id, locale] = SessionSource::split_item_key(expected.items[i]);
      const auto item = static_cast<int64_t>(i + 3);
      ASSERT_EQ(table.original_id[item], id) << "item " << item;
      if (c.format == SessionFormat::kAmazonM2) {
        ASSERT_EQ(table.locale[item], locale);
      }
      std::vector<std::string> groups;
      for (int64_t g = table.group_offsets[item]; g < table.group_offsets[item + 1]; ++g)
        groups.push_back(manifest.item_groups.at(table.groups[g]));
      const auto found = expected.groups.find(expected.items[i]);
      ASSERT_EQ(groups, found == expected.groups.end() ? std::vector<std::string>{} : found->second)
          << "item " << expected.items[i];
      ASSERT_EQ(table.category[item],
                groups.empty() ? 0.0 : table.groups[table.group_offsets[item]]);
    }
  }

  // Conversion must fail naming every part, and leave nothing but the source behind.
  void expect_refused(const SessionConvertOptions& o, const std::vector<std::string>& parts) {
    try {
      convert_sessions(o);
      ADD_FAILURE() << "conversion succeeded";
    } catch (const Error& error) {
      for (const std::string& part : parts)
        EXPECT_NE(std::string(error.what()).find(part), std::string::npos)
            << "'" << part << "' missing from: " << error.what();
    }
    for (const auto& entry : fs::directory_iterator(root_))
      EXPECT_EQ(entry.path().filename(), "source") << "left behind: " << entry.path();
  }

  std::string write_source(const std::string& name, const std::string& text) {
    fs::create_directories(root_ / "source");
    const std::string path = (root_ / "source" / name).string();
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }

  fs::path root_;
  std::string output_;
  std::vector<GeneratedEvent> events_;
  std::vector<GeneratedItem> items_;
};

class ConvertSessionFormats : public ConvertSessions,
                              public ::testing::WithParamInterface<FormatCase> {};

TEST_P(ConvertSessionFormats, EveryEventItemAndGroupArrivesAndVerifyHolds) {
  const FormatCase c = GetParam();
  SessionLogSpec spec;
  spec.format = c.generator;
  spec.rows = 2500;
  spec.users = 150;
  spec.items = 400;
  spec.seed = 7;
  spec.delimiter = c.delimiter.empty() ? "," : c.delimiter;
  const std::vector<std::string> inputs = generate(spec);
  const Manifest manifest = convert_sessions(options(c, inputs));
  EXPECT_GT(manifest.conversion["sort"]["buckets"].get<int64_t>(), 3) << "not past the memory";
  const Expected expected = expected_conversion(events_, items_, c.has_time, {}, c.csv_groups);
  expect_output(expected, c);
  EXPECT_EQ(manifest.conversion["counts"]["source"]["events"].get<int64_t>(),
            static_cast<int64_t>(events_.size()));
  const VerifyReport report = verify(inputs, 24 * 2 * 400);
  EXPECT_TRUE(report.ok()) << report.problems.front();
  EXPECT_EQ(report.steps_compared, static_cast<int64_t>(events_.size()));
}

INSTANTIATE_TEST_SUITE_P(
    Formats, ConvertSessionFormats,
    ::testing::Values(
        FormatCase{"recbole", SessionFormat::kRecbole, "", true, true, false, false},
        FormatCase{"movielens-dat", SessionFormat::kMovielens, "", true, true, false, false},
        FormatCase{"movielens-csv", SessionFormat::kMovielens, "", true, true, false, false},
        FormatCase{"amazon-m2", SessionFormat::kAmazonM2, "", false, false, false, false},
        FormatCase{"csv", SessionFormat::kCsv, ",", true, true, true, true},
        FormatCase{"csv", SessionFormat::kCsv, ";", true, true, true, true}),
    [](const ::testing::TestParamInfo<FormatCase>& info) {
      std::string name = info.param.generator + (info.param.delimiter == ";" ? "_semicolon" : "");
      std::replace(name.begin(), name.end(), '-', '_');
      return name;
    });

TEST_F(ConvertSessions, FiltersRemoveWhatTheNaiveReadingRemovesAndCountIt) {
  const FormatCase c{"csv", SessionFormat::kCsv, ",", true, true, true, true};
  SessionLogSpec spec;
  spec.rows = 4000;
  spec.users = 200;
  spec.items = 300;
  spec.seed = 11;
  spec.repeat_probability = 0.3;
  const std::vector<std::string> inputs = generate(spec);
  SessionConvertOptions o = options(c, inputs);
  o.filters.min_rating = 1.5;
  o.filters.remove_consecutive_duplicates = true;
  o.filters.min_user_interactions = 8;
  o.filters.min_item_interactions = 6;
  const Manifest manifest = convert_sessions(o);
  const Expected expected = expected_conversion(events_, items_, true, o.filters, true);
  expect_output(expected, c);
  const nlohmann::json& counts = manifest.conversion["counts"];
  EXPECT_EQ(counts["min_rating"]["removed_events"].get<int64_t>(), expected.below_rating);
  EXPECT_EQ(counts["consecutive_duplicates"]["removed_events"].get<int64_t>(), expected.duplicates);
  EXPECT_EQ(counts["k_core"]["removed_events"].get<int64_t>(), expected.k_core_events);
  EXPECT_GT(expected.below_rating, 0);
  EXPECT_GT(expected.duplicates, 0);
  EXPECT_GT(counts["k_core"]["iterations"].get<int64_t>(), 1) << "a fixed point needs passes";
  const VerifyReport report = verify(inputs);
  EXPECT_TRUE(report.ok()) << report.problems.front();
}

TEST_F(ConvertSessions, UsersProtocolWritesThePublishedSplit) {
  const FormatCase c{"movielens-dat", SessionFormat::kMovielens, "", true, true, false, false};
  SessionLogSpec spec;
  spec.format = c.generator;
  const std::vector<std::string> inputs = generate(spec);
  SessionConvertOptions o = options(c, inputs);
  o.protocol = Protocol::kUsers;
  o.split.seed = 3;
  o.split.valid_fraction = o.split.test_fraction = 0.2;
  const Manifest manifest = convert_sessions(o);
  EXPECT_EQ(manifest.protocol, Protocol::kUsers);
  const std::vector<Split> split = assign_split(manifest.num_users, o.split);
  int64_t row = 0;
  for (size_t s = 0; s < manifest.shards.size(); ++s) {
    ShardReader reader(manifest.shard_path(output_, s));
    for (const uint8_t value : reader.read_splits())
      ASSERT_EQ(value, static_cast<uint8_t>(split[row++])) << "row " << row - 1;
  }
  EXPECT_EQ(manifest.split.valid_users, valid_user_count(manifest.num_users, o.split));
  const VerifyReport report = verify(inputs);
  EXPECT_TRUE(report.ok()) << report.problems.front();
}

TEST_F(ConvertSessions, AmazonLocalesFilterSessions) {
  const FormatCase c{"amazon-m2", SessionFormat::kAmazonM2, "", false, false, false, false};
  SessionLogSpec spec;
  spec.format = c.generator;
  spec.rows = 1500;
  const std::vector<std::string> inputs = generate(spec);
  SessionConvertOptions o = options(c, inputs);
  o.source.locales = {"JP", "UK"};
  const Manifest manifest = convert_sessions(o);
  std::vector<GeneratedEvent> kept;
  for (const GeneratedEvent& event : events_) {
    const std::string locale(SessionSource::split_item_key(event.item).second);
    if (locale == "JP" || locale == "UK") kept.push_back(event);
  }
  expect_output(expected_conversion(kept, items_, false, {}, false), c);
  EXPECT_GT(manifest.conversion["counts"]["source"]["records_skipped_by_locale"].get<int64_t>(), 0);
  const VerifyReport report = verify(inputs);
  EXPECT_TRUE(report.ok()) << report.problems.front();
}

TEST_F(ConvertSessions, VerifyFindsAChangedSourceAndADamagedShard) {
  const FormatCase c{"recbole", SessionFormat::kRecbole, "", true, true, false, false};
  SessionLogSpec spec;
  spec.format = c.generator;
  const std::vector<std::string> inputs = generate(spec);
  convert_sessions(options(c, inputs));
  ASSERT_TRUE(verify(inputs).ok());
  // The same source with one time changed and its records re-hashed away: the SHA-256 and the
  // event comparison both see it.
  std::string text;
  {
    std::ifstream file(inputs[0], std::ios::binary);
    text.assign(std::istreambuf_iterator<char>(file), {});
  }
  const size_t at = text.find("880");
  ASSERT_NE(at, std::string::npos);
  text[at + 2] = '1';
  std::ofstream(inputs[0], std::ios::binary) << text;
  VerifyReport report = verify(inputs);
  ASSERT_FALSE(report.ok());
  bool named_sha = false, named_event = false;
  for (const std::string& problem : report.problems) {
    named_sha |= problem.find("SHA-256") != std::string::npos;
    named_event |= problem.find("log.inter:") != std::string::npos ||
                   problem.find("the shards") != std::string::npos;
  }
  EXPECT_TRUE(named_sha && named_event) << report.problems.front();

  // Wrong inputs: another order is refused by name.
  report = verify({inputs[1], inputs[0]});
  ASSERT_FALSE(report.ok());
  EXPECT_NE(report.problems.front().find("in that order"), std::string::npos);
}

TEST_F(ConvertSessions, RefusesAMalformedLineNamingFileAndLine) {
  const std::string ratings =
      write_source("ratings.dat", "1::10::5::100\n1::11::4::101\n2::12::3\n");
  SessionConvertOptions o =
      options({"", SessionFormat::kMovielens, "", true, true, false, false}, {ratings});
  expect_refused(o,
                 {"ratings.dat:3", "3 fields, expected 4", "UserID, MovieID, Rating, Timestamp"});
}

TEST_F(ConvertSessions, RefusesAMissingColumnNamingIt) {
  const std::string inter =
      write_source("a.inter", "user_id:token\trating:float\ttimestamp:float\n1\t3\t100\n");
  SessionConvertOptions o =
      options({"", SessionFormat::kRecbole, "", true, true, false, false}, {inter});
  expect_refused(o, {"a.inter", "missing column 'item_id'", "user_id"});
  const std::string csv = write_source("e.csv", "user,item\nu1,i1\n");
  o = options({"", SessionFormat::kCsv, ",", true, true, false, false}, {csv});
  o.source.columns = {"user", "item", "ts", "", "", ""};
  expect_refused(o, {"e.csv", "missing column 'ts' (the time column)"});
}

TEST_F(ConvertSessions, RefusesANonNumericTimestampNamingLineAndColumn) {
  const std::string inter = write_source(
      "b.inter",
      "item_id:token\tuser_id:token\ttimestamp:float\n5\t1\t100\n6\t1\t12.5\n7\t2\tsoon\n");
  SessionConvertOptions o =
      options({"", SessionFormat::kRecbole, "", true, false, false, false}, {inter});
  // 12.5 is a number but not a whole one; "soon" is no number.
  expect_refused(o, {"b.inter:3: column 3 (timestamp): '12.5' is not a whole number"});
  const std::string fixed = write_source(
      "b.inter",
      "item_id:token\tuser_id:token\ttimestamp:float\n5\t1\t100\n6\t1\t12.0\n7\t2\tsoon\n");
  o.source.inputs = {fixed};
  expect_refused(o, {"b.inter:4: column 3 (timestamp): 'soon' is not a whole number"});
}

TEST_F(ConvertSessions, RefusesAmazonListsThatAreNotWhole) {
  const std::string open_quote =
      write_source("sessions_train.csv",
                   "prev_items,next_item,locale\n['A1' 'B2'],C3,DE\n\"['A1'\n 'B2'],C3,DE\n");
  SessionConvertOptions o =
      options({"", SessionFormat::kAmazonM2, "", false, false, false, false}, {open_quote});
  expect_refused(o, {"sessions_train.csv:3: column 1", "not closed"});
  const std::string summary = write_source(
      "sessions_train.csv", "prev_items,next_item,locale\n\"['A1' ... 'Z9']\",C3,DE\n");
  o.source.inputs = {summary};
  expect_refused(o, {"sessions_train.csv:2: column 1 (prev_items)", "summarised by NumPy"});
}

TEST_F(ConvertSessions, RefusesMinRatingWithoutRatingsAndAnExistingOutput) {
  const std::string csv = write_source("e.csv", "user,item\nu1,i1\nu1,i2\n");
  SessionConvertOptions o =
      options({"", SessionFormat::kCsv, ",", false, false, false, false}, {csv});
  o.source.columns = {"user", "item", "", "", "", ""};
  o.shards = 1;
  o.filters.min_rating = 3;
  expect_refused(o, {"--min-rating needs a rating"});
  o.filters.min_rating.reset();
  fs::create_directories(output_);
  std::ofstream(output_ + "/mine.txt") << "keep me";
  try {
    convert_sessions(o);
    ADD_FAILURE() << "converted over an existing directory without --force";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("already exists"), std::string::npos) << error.what();
  }
  EXPECT_TRUE(fs::exists(output_ + "/mine.txt"));
}

}  // namespace
}  // namespace slatetrain
