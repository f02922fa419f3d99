// SessionSource: the files of a session log in one of the formats of `slateconvert sessions`
// (docs/FORMAT.md, "Session conversions"), streamed event by event in file order:
//   recbole    .inter (tab-separated, typed header "user_id:token item_id:token ...", columns
//              in any order) and .item (item groups from "class", a token_seq);
//   movielens  ratings.dat ("UserID::MovieID::Rating::Timestamp") or ratings.csv
//              ("userId,movieId,rating,timestamp"); movies.dat / movies.csv genres as groups;
//   amazon-m2  sessions_*.csv ("prev_items,next_item,locale", prev_items a NumPy-printed list
//              that may span lines) and products_*.csv (items are (id, locale), brand groups);
//   csv        any delimited file with a header naming the user, item, time, weight, type and
//              group columns.
// Opening checks every file's header (a missing column is an error before anything is
// written); every value error names the file, the line and the column.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "data/session_options.hpp"

namespace slatetrain {

// One event as the source wrote it; the views are valid during the callback only.
struct SourceEvent {
  std::string_view user;   // the user (or session) id
  std::string_view item;   // the item id (Amazon-M2: "id" kItemLocaleSeparator "locale")
  int64_t time = 0;        // when the source has a time column
  float weight = 0;        // the rating or weight, when the source has one
  std::string_view type;   // the interaction type's name, when the source has a type column
  std::string_view group;  // csv: the item's group on this row, when a group column is named
  int file = 0;            // index into SessionSource::event_files()
  int64_t line = 0;        // the line where the event's record starts
};

// Amazon-M2 items are (id, locale): the key joins them with this byte.
inline constexpr char kItemLocaleSeparator = '\x1f';

class SessionSource {
 public:
  explicit SessionSource(const SessionSourceOptions& options);
  ~SessionSource();
  SessionSource(const SessionSource&) = delete;
  SessionSource& operator=(const SessionSource&) = delete;

  struct Layout;  // how one file's records are read (session_source.cpp)

  const SessionSourceOptions& options() const { return options_; }
  bool has_time() const { return has_time_; }
  bool has_weight() const { return has_weight_; }
  bool has_type() const { return has_type_; }
  bool has_locale() const { return options_.format == SessionFormat::kAmazonM2; }
  const std::vector<std::string>& event_files() const { return event_files_; }
  const std::vector<std::string>& item_files() const { return item_files_; }
  int64_t event_bytes() const { return event_bytes_; }
  // The column names in use, for messages and the manifest (defaults resolved).
  const SessionColumns& columns() const { return columns_; }

  // Calls on_event for every event of the event files in order; on_progress(bytes read) now
  // and then. Throws Error naming file, line and column on a bad value.
  void read_events(const std::function<void(const SourceEvent&)>& on_event,
                   const std::function<void(int64_t)>& on_progress = {});
  // Calls on_item(item key, its groups in order, "file:line") for every row of the item files.
  void read_items(const std::function<void(std::string_view, const std::vector<std::string_view>&,
                                           const std::string&)>& on_item);

  struct Counts {
    int64_t records = 0;  // records of the event files (Amazon-M2: sessions)
    int64_t events = 0;   // events they hold
    int64_t records_skipped_by_locale = 0;
    int64_t item_records = 0;  // records of the item files
  };
  const Counts& counts() const { return counts_; }

  // (id, locale) of an Amazon-M2 item key; (key, "") for the other formats.
  static std::pair<std::string_view, std::string_view> split_item_key(std::string_view key);

 private:
  void read_event_file(int file, const std::function<void(const SourceEvent&)>& on_event,
                       const std::function<void(int64_t)>& on_progress, int64_t bytes_before);

  SessionSourceOptions options_;
  SessionColumns columns_;
  std::vector<std::string> event_files_, item_files_;
  std::vector<Layout> event_layouts_, item_layouts_;
  int64_t event_bytes_ = 0;
  bool has_time_ = false, has_weight_ = false, has_type_ = false;
  Counts counts_;
};

// Numbers as the converters read them; false when `text` is not one (no partial parses).
// A time is an integer, or a decimal that is a whole number ("881250949.0").
bool parse_time_value(std::string_view text, int64_t& value);
bool parse_weight_value(std::string_view text, float& value);

// The items of an Amazon-M2 prev_items field, "['A' 'B'\n 'C']" as NumPy prints a list;
// false with a reason when it is not one (a NumPy "..." summary, an unquoted token).
bool parse_numpy_list(std::string_view text, std::vector<std::string_view>& items,
                      std::string& reason);

}  // namespace slatetrain
