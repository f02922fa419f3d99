// The parts of the session converter on their own: the delimited reader (RFC 4180 quotes over
// lines and across its buffer's end, CRLF, a byte order mark, "::"), NumPy list strings, time
// values, the id dictionary, the k-core against a brute-force reference, and the grouping by
// user in buckets against one in-memory stable sort.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "core/error.hpp"
#include "core/random.hpp"
#include "data/delimited_reader.hpp"
#include "data/id_dictionary.hpp"
#include "data/session_filters.hpp"
#include "data/session_sort.hpp"
#include "data/session_source.hpp"

namespace slatetrain {
namespace {

namespace fs = std::filesystem;

class SessionParts : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("slatetrain-session-parts-" + std::to_string(getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  void TearDown() override { fs::remove_all(root_); }
  std::string write(const std::string& name, const std::string& text) {
    const std::string path = (root_ / name).string();
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }
  // Every record's fields and starting line.
  std::vector<std::pair<int64_t, std::vector<std::string>>> records(
      const std::string& path, const DelimitedOptions& options) {
    DelimitedReader reader(path, options);
    std::vector<std::pair<int64_t, std::vector<std::string>>> out;
    while (reader.next())
      out.push_back({reader.line(), {reader.fields().begin(), reader.fields().end()}});
    return out;
  }
  fs::path root_;
};

using Fields = std::vector<std::string>;

TEST_F(SessionParts, QuotedFieldsSpanLinesAndEscapeQuotes) {
  const std::string path = write("a.csv",
                                 "\xEF\xBB\xBFid,text,n\r\n1,\"a, b\",2\r\n\n2,\"line one\nline "
                                 "\"\"two\"\"\",3\n3,,\"\"\n4,x,5");
  const auto got = records(path, {",", true});
  ASSERT_EQ(got.size(), 5u);
  EXPECT_EQ(got[0].second, (Fields{"id", "text", "n"}));
  EXPECT_EQ(got[1].second, (Fields{"1", "a, b", "2"}));
  EXPECT_EQ(got[2].first, 4) << "the empty line 3 is skipped, the record starts on line 4";
  EXPECT_EQ(got[2].second, (Fields{"2", "line one\nline \"two\"", "3"}));
  EXPECT_EQ(got[3].first, 6);
  EXPECT_EQ(got[3].second, (Fields{"3", "", ""}));
  EXPECT_EQ(got[4].second, (Fields{"4", "x", "5"})) << "no line end after the last record";
}

TEST_F(SessionParts, MultiCharacterDelimiterAndNoQuotes) {
  const std::string path = write("r.dat", "1::\"x::y\"::3\n10::20::4.5::99\n");
  const auto got = records(path, {"::", false});
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].second, (Fields{"1", "\"x", "y\"", "3"}));
  EXPECT_EQ(got[1].second, (Fields{"10", "20", "4.5", "99"}));
}

TEST_F(SessionParts, RecordsCrossTheReadBufferIntact) {
  // More than the reader's 4 MB buffer, with quoted multi-line fields and "::" everywhere.
  std::string text, expected_last;
  int64_t lines = 0;
  for (int i = 0; text.size() < (size_t{9} << 20); ++i) {
    text += std::to_string(i) + "::\"q" + std::to_string(i) + "\nz\"::" + std::string(i % 17, 'x') +
            "\n";
    lines += 2;
  }
  const std::string path = write("big.dat", text);
  DelimitedReader reader(path, {"::", true});
  int64_t count = 0;
  while (reader.next()) {
    ASSERT_EQ(reader.size(), 3u) << "record " << count;
    ASSERT_EQ(reader[0], std::to_string(count));
    ASSERT_EQ(reader[1], "q" + std::to_string(count) + "\nz");
    ASSERT_EQ(reader[2].size(), static_cast<size_t>(count % 17));
    ASSERT_EQ(reader.line(), 2 * count + 1);
    ++count;
  }
  EXPECT_EQ(2 * count, lines);
  EXPECT_EQ(reader.bytes_consumed(), static_cast<int64_t>(text.size()));
}

TEST_F(SessionParts, BadQuotingNamesLineAndColumn) {
  auto message = [&](const std::string& text) -> std::string {
    DelimitedReader reader(write("bad.csv", text), {",", true});
    try {
      while (reader.next()) {
      }
    } catch (const Error& error) {
      return error.what();
    }
    return "no error";
  };
  EXPECT_NE(message("a,b\n1,\"2\"x,3\n").find("bad.csv:2: column 2: text after the closing quote"),
            std::string::npos);
  EXPECT_NE(
      message("a,b\n1,2\n3,\"4\n5,6\n").find("bad.csv:3: column 2: a quoted field is not closed"),
      std::string::npos);
}

TEST(SessionValues, NumpyListsAsPrinted) {
  std::vector<std::string_view> items;
  std::string reason;
  ASSERT_TRUE(parse_numpy_list("['B09W9FND7K' 'B09JSPLN1M']", items, reason));
  EXPECT_EQ(items, (std::vector<std::string_view>{"B09W9FND7K", "B09JSPLN1M"}));
  ASSERT_TRUE(parse_numpy_list("['A1' 'B2' 'C3'\n 'D4']", items, reason));
  EXPECT_EQ(items.size(), 4u);
  EXPECT_EQ(items[3], "D4");
  ASSERT_TRUE(parse_numpy_list("[]", items, reason));
  EXPECT_TRUE(items.empty());
  EXPECT_FALSE(parse_numpy_list("['A1' ... 'Z9']", items, reason));
  EXPECT_NE(reason.find("summarised"), std::string::npos);
  EXPECT_FALSE(parse_numpy_list("['A1' B2]", items, reason));
  EXPECT_FALSE(parse_numpy_list("'A1'", items, reason));
  EXPECT_FALSE(parse_numpy_list("['A1'", items, reason));
}

TEST(SessionValues, TimesAreWholeNumbers) {
  int64_t value = 0;
  EXPECT_TRUE(parse_time_value("881250949", value));
  EXPECT_EQ(value, 881250949);
  EXPECT_TRUE(parse_time_value("881250949.0", value));
  EXPECT_EQ(value, 881250949);
  EXPECT_TRUE(parse_time_value("1.7e12", value));
  EXPECT_EQ(value, 1700000000000);
  EXPECT_TRUE(parse_time_value(" -5 ", value));
  EXPECT_EQ(value, -5);
  EXPECT_TRUE(parse_time_value("1700000000123456789", value)) << "nanoseconds stay exact";
  EXPECT_EQ(value, 1700000000123456789);
  for (const char* bad : {"", "12.5", "abc", "12abc", "nan", "1e30"})
    EXPECT_FALSE(parse_time_value(bad, value)) << bad;
  float weight = 0;
  EXPECT_TRUE(parse_weight_value("3.5", weight));
  EXPECT_EQ(weight, 3.5f);
  EXPECT_FALSE(parse_weight_value("three", weight));
  EXPECT_FALSE(parse_weight_value("inf", weight));
}

TEST(SessionIdDictionary, DenseIdsInOrderOfFirstAppearance) {
  IdDictionary dictionary;
  std::map<std::string, int32_t> reference;
  Random random(3);
  for (int i = 0; i < 200000; ++i) {
    const std::string key =
        "k" + std::to_string(random.below(60000)) + (i % 7 == 0 ? "-long-suffix" : "");
    const auto [found, inserted] = reference.emplace(key, static_cast<int32_t>(reference.size()));
    ASSERT_EQ(dictionary.intern(key), found->second) << key;
  }
  ASSERT_EQ(dictionary.size(), static_cast<int64_t>(reference.size()));
  for (const auto& [key, id] : reference) {
    ASSERT_EQ(dictionary.find(key), id);
    ASSERT_EQ(dictionary.key(id), key);
  }
  EXPECT_EQ(dictionary.find("absent"), -1);
  EXPECT_EQ(dictionary.intern(""), static_cast<int32_t>(reference.size())) << "empty is a key";
}

TEST(SessionKCore, MatchesTheLargestCoreFoundByBruteForce) {
  Random random(5);
  for (int trial = 0; trial < 20; ++trial) {
    const int users = 30, items = 25;
    std::vector<std::pair<int32_t, int32_t>> events;
    for (int e = 0; e < 300; ++e)
      events.emplace_back(static_cast<int32_t>(random.below(users)),
                          static_cast<int32_t>(random.below(items) * random.below(2)));
    const int64_t min_user = 2 + trial % 5, min_item = 2 + trial % 4;
    std::vector<int64_t> user_events(users), item_events(items);
    for (const auto& [u, i] : events) {
      ++user_events[u];
      ++item_events[i];
    }
    const KCoreResult result =
        k_core_filter(user_events, item_events, min_user, min_item, [&](const auto& visit) {
          for (const auto& [u, i] : events) visit(u, i);
        });
    // Brute force: remove one violating vertex at a time until none (any order reaches the
    // same largest core).
    std::set<int32_t> dead_users, dead_items;
    while (true) {
      std::map<int32_t, int64_t> uc, ic;
      for (const auto& [u, i] : events)
        if (!dead_users.count(u) && !dead_items.count(i)) {
          ++uc[u];
          ++ic[i];
        }
      bool changed = false;
      for (int32_t u = 0; u < users && !changed; ++u)
        if (!dead_users.count(u) && uc[u] < std::max<int64_t>(min_user, 1))
          changed = dead_users.insert(u).second;
      for (int32_t i = 0; i < items && !changed; ++i)
        if (!dead_items.count(i) && ic[i] < std::max<int64_t>(min_item, 1))
          changed = dead_items.insert(i).second;
      if (!changed) break;
    }
    int64_t kept = 0;
    for (int32_t u = 0; u < users; ++u) {
      ASSERT_EQ(result.user_alive[u] == 1, !dead_users.count(u))
          << "trial " << trial << " user " << u;
      kept += result.user_events[u];
    }
    for (int32_t i = 0; i < items; ++i)
      ASSERT_EQ(result.item_alive[i] == 1, !dead_items.count(i))
          << "trial " << trial << " item " << i;
    EXPECT_EQ(result.removed_events, static_cast<int64_t>(events.size()) - kept);
  }
}

TEST_F(SessionParts, GroupingInBucketsEqualsOneStableSort) {
  Random random(9);
  const int users = 400;
  std::vector<EventRecord> events(20000);
  std::vector<int64_t> counts(users, 0);
  {
    EventWriter writer((root_ / "arrival.bin").string());
    for (size_t e = 0; e < events.size(); ++e) {
      EventRecord& event = events[e];
      event.user = static_cast<int32_t>(random.below(users) * random.below(2));  // user 0 is big
      event.item = static_cast<int32_t>(e);  // the source position, to check ties
      event.time = static_cast<int64_t>(random.below(50));
      ++counts[static_cast<size_t>(event.user)];
      writer.push(event);
    }
    writer.close();
  }
  std::vector<EventRecord> reference = events;
  std::stable_sort(reference.begin(), reference.end(),
                   [](const EventRecord& a, const EventRecord& b) {
                     return a.user != b.user ? a.user < b.user : a.time < b.time;
                   });
  for (const int64_t memory : {int64_t{1} << 30, int64_t{24 * 2 * 700}, int64_t{48}}) {
    GroupByUserOptions options;
    options.arrival_path = (root_ / "arrival.bin").string();
    options.scratch_directory = root_.string();
    options.memory_bytes = memory;
    std::vector<EventRecord> grouped;
    int32_t previous_user = -1;
    const GroupByUserReport report = group_events_by_user(
        options, counts, [&](int32_t user, const EventRecord* list, int64_t n) {
          EXPECT_GT(user, previous_user);
          previous_user = user;
          grouped.insert(grouped.end(), list, list + n);
        });
    ASSERT_EQ(grouped.size(), reference.size());
    for (size_t e = 0; e < grouped.size(); ++e)
      ASSERT_TRUE(grouped[e].user == reference[e].user && grouped[e].item == reference[e].item)
          << "memory " << memory << " position " << e << ": user " << grouped[e].user << " event "
          << grouped[e].item << ", expected user " << reference[e].user << " event "
          << reference[e].item;
    if (memory == 48) {
      EXPECT_GE(report.buckets, users / 2) << "one user per bucket";
    }
    for (const auto& entry : fs::directory_iterator(root_))
      EXPECT_EQ(entry.path().filename(), "arrival.bin") << "run file left: " << entry.path();
  }
}

}  // namespace
}  // namespace slatetrain
