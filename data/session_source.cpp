#include "data/session_source.hpp"

#include <charconv>
#include <cmath>
#include <filesystem>
#include <map>

#include "core/error.hpp"
#include "data/delimited_reader.hpp"

namespace slatetrain {

namespace fs = std::filesystem;

namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

std::string base_name(const std::string& path) {
  return fs::path(path).filename().string();
}

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool starts_with(const std::string& text, const std::string& prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

// A file's header: column name -> index. RecBole's "name:type" headers give the name.
std::map<std::string, int> header_columns(DelimitedReader& reader, bool typed) {
  REQUIRE(reader.next(), reader.path() << ": empty (expected a header line)");
  std::map<std::string, int> columns;
  for (size_t i = 0; i < reader.size(); ++i) {
    std::string name(trim(reader[i]));
    if (typed) {
      const size_t colon = name.rfind(':');
      REQUIRE(colon != std::string::npos && colon > 0,
              reader.where(i) << ": header field '" << name
                              << "' is not RecBole's 'name:type' (e.g. user_id:token)");
      name = name.substr(0, colon);
    }
    REQUIRE(columns.emplace(name, static_cast<int>(i)).second,
            reader.where(i) << ": column '" << name << "' appears twice in the header");
  }
  return columns;
}

std::string column_list(const std::map<std::string, int>& columns) {
  std::string text;
  for (const auto& [name, index] : columns) text += (text.empty() ? "" : ", ") + name;
  return text;
}

}  // namespace

bool parse_time_value(std::string_view text, int64_t& value) {
  text = trim(text);
  if (text.empty()) return false;
  const char* end = text.data() + text.size();
  auto [stop, error] = std::from_chars(text.data(), end, value);
  if (error == std::errc() && stop == end) return true;
  double real = 0;
  auto [real_stop, real_error] = std::from_chars(text.data(), end, real);
  if (real_error != std::errc() || real_stop != end || !std::isfinite(real) ||
      real != std::floor(real) || std::fabs(real) >= 9.2e18)
    return false;
  value = static_cast<int64_t>(real);
  return true;
}

bool parse_weight_value(std::string_view text, float& value) {
  text = trim(text);
  if (text.empty()) return false;
  double real = 0;
  const char* end = text.data() + text.size();
  auto [stop, error] = std::from_chars(text.data(), end, real);
  if (error != std::errc() || stop != end || !std::isfinite(real)) return false;
  value = static_cast<float>(real);
  return true;
}

bool parse_numpy_list(std::string_view text, std::vector<std::string_view>& items,
                      std::string& reason) {
  items.clear();
  text = trim(text);
  if (text.size() < 2 || text.front() != '[' || text.back() != ']') {
    reason = "is not a list in brackets";
    return false;
  }
  text = text.substr(1, text.size() - 2);
  size_t i = 0;
  auto is_space = [](char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; };
  while (true) {
    while (i < text.size() && is_space(text[i])) ++i;
    if (i >= text.size()) return true;
    const char quote = text[i];
    if (quote != '\'' && quote != '"') {
      reason = text.substr(i, 3) == "..."
                   ? "was summarised by NumPy ('...'): the items in between are not in the file"
                   : "has an unquoted element at offset " + std::to_string(i + 1);
      return false;
    }
    const size_t close = text.find(quote, i + 1);
    if (close == std::string_view::npos) {
      reason = "has an element without its closing quote";
      return false;
    }
    items.push_back(text.substr(i + 1, close - i - 1));
    i = close + 1;
    if (i < text.size() && !is_space(text[i])) {
      reason = "has elements not separated by white space at offset " + std::to_string(i + 1);
      return false;
    }
  }
}

// How one file's records are read: its delimiters and where each column is.
struct SessionSource::Layout {
  DelimitedOptions delimited;
  bool header = true;
  bool typed_header = false;
  size_t fields = 0;  // every record has exactly this many
  int user = -1, item = -1, time = -1, weight = -1, type = -1, group = -1;
  int prev_items = -1, next_item = -1, locale = -1;  // Amazon-M2 sessions / products
  char group_separator = 0;                          // 0: one group per field
  std::vector<std::string> names;                    // column names, for messages
};

namespace {

using Layout = SessionSource::Layout;

void set_names(Layout& layout, const std::map<std::string, int>& columns) {
  layout.names.assign(columns.size(), "");
  for (const auto& [name, index] : columns) layout.names[static_cast<size_t>(index)] = name;
  layout.fields = columns.size();
}

// The index of column `name`, or -1 when it is optional and absent.
int find_column(const std::map<std::string, int>& columns, const std::string& name, bool required,
                const std::string& path, const char* role) {
  const auto found = columns.find(name);
  if (found != columns.end()) return found->second;
  REQUIRE(!required, path << ": missing column '" << name << "' (the " << role
                          << " column); the header has: " << column_list(columns));
  return -1;
}

}  // namespace

SessionSource::~SessionSource() = default;

SessionSource::SessionSource(const SessionSourceOptions& options) : options_(options) {
  REQUIRE(!options.inputs.empty(), "no input files (give them with --input)");
  const SessionFormat format = options.format;
  const SessionColumns& given = options.columns;
  const bool fixed_columns =
      format == SessionFormat::kMovielens || format == SessionFormat::kAmazonM2;
  REQUIRE(!fixed_columns || (given.user.empty() && given.item.empty() && given.time.empty() &&
                             given.weight.empty() && given.type.empty() && given.group.empty()),
          session_format_name(format) << " files have fixed columns; the column options are for "
                                         "csv and recbole");
  REQUIRE(format == SessionFormat::kCsv || options.delimiter.empty(),
          "--delimiter is for csv files only");
  REQUIRE(format == SessionFormat::kAmazonM2 || options.locales.empty(),
          "--locale is for amazon-m2 files only");
  auto or_default = [](const std::string& value, const char* fallback) {
    return value.empty() ? std::string(fallback) : value;
  };
  switch (format) {
    case SessionFormat::kRecbole:
      columns_ = {or_default(given.user, "user_id"),
                  or_default(given.item, "item_id"),
                  or_default(given.time, "timestamp"),
                  or_default(given.weight, "rating"),
                  given.type,
                  or_default(given.group, "class")};
      break;
    case SessionFormat::kMovielens:
      columns_ = {"userId", "movieId", "timestamp", "rating", "", "genres"};
      break;
    case SessionFormat::kAmazonM2:
      columns_ = {"prev_items", "id", "", "", "", "brand"};
      break;
    case SessionFormat::kCsv:
      REQUIRE(!given.user.empty() && !given.item.empty(),
              "csv needs --user-column and --item-column (the header's names)");
      columns_ = given;
      break;
  }

  std::string delimiter = options.delimiter.empty() ? "," : options.delimiter;
  if (delimiter == "tab" || delimiter == "\\t") delimiter = "\t";
  bool first_event_file = true;
  for (const std::string& path : options.inputs) {
    REQUIRE(fs::is_regular_file(path), path << ": no such file");
    const std::string name = base_name(path);
    Layout layout;
    bool is_item_file = false;
    switch (format) {
      case SessionFormat::kRecbole: {
        REQUIRE(ends_with(name, ".inter") || ends_with(name, ".item"),
                path << ": RecBole atomic files end in .inter (interactions) or .item (items)");
        is_item_file = ends_with(name, ".item");
        layout.delimited = {"\t", false};
        layout.typed_header = true;
        DelimitedReader reader(path, layout.delimited);
        const auto columns = header_columns(reader, true);
        set_names(layout, columns);
        if (is_item_file) {
          layout.item = find_column(columns, columns_.item, true, path, "item");
          layout.group = find_column(columns, columns_.group, !given.group.empty(), path, "group");
          layout.group_separator = ' ';  // a token_seq
        } else {
          layout.user = find_column(columns, columns_.user, true, path, "user");
          layout.item = find_column(columns, columns_.item, true, path, "item");
          layout.time = find_column(columns, columns_.time, !given.time.empty(), path, "time");
          layout.weight =
              find_column(columns, columns_.weight, !given.weight.empty(), path, "rating");
          if (!columns_.type.empty())
            layout.type = find_column(columns, columns_.type, true, path, "interaction type");
        }
        break;
      }
      case SessionFormat::kMovielens: {
        is_item_file = starts_with(name, "movies");
        REQUIRE(is_item_file || starts_with(name, "ratings"),
                path << ": MovieLens files are ratings.dat / ratings.csv and movies.dat / "
                        "movies.csv");
        const bool dat = ends_with(name, ".dat");
        REQUIRE(dat || ends_with(name, ".csv"), path << ": expected a .dat or a .csv file");
        if (dat) {
          layout.delimited = {"::", false};
          layout.header = false;
          if (is_item_file) {
            layout.names = {"MovieID", "Title", "Genres"};
            layout.item = 0;
            layout.group = 2;
          } else {
            layout.names = {"UserID", "MovieID", "Rating", "Timestamp"};
            layout.user = 0;
            layout.item = 1;
            layout.weight = 2;
            layout.time = 3;
          }
          layout.fields = layout.names.size();
        } else {
          layout.delimited = {",", true};
          DelimitedReader reader(path, layout.delimited);
          const auto columns = header_columns(reader, false);
          set_names(layout, columns);
          if (is_item_file) {
            layout.item = find_column(columns, "movieId", true, path, "item");
            layout.group = find_column(columns, "genres", true, path, "genres");
          } else {
            layout.user = find_column(columns, "userId", true, path, "user");
            layout.item = find_column(columns, "movieId", true, path, "item");
            layout.weight = find_column(columns, "rating", true, path, "rating");
            layout.time = find_column(columns, "timestamp", true, path, "time");
          }
        }
        layout.group_separator = '|';
        break;
      }
      case SessionFormat::kAmazonM2: {
        layout.delimited = {",", true};
        DelimitedReader reader(path, layout.delimited);
        const auto columns = header_columns(reader, false);
        set_names(layout, columns);
        is_item_file = columns.count("prev_items") == 0;
        REQUIRE(!is_item_file || (columns.count("id") && columns.count("locale")),
                path << ": neither an Amazon-M2 sessions file (prev_items,next_item,locale) nor "
                        "a products file (id,locale,...); the header has: "
                     << column_list(columns));
        layout.locale = find_column(columns, "locale", true, path, "locale");
        if (is_item_file) {
          layout.item = find_column(columns, "id", true, path, "item");
          layout.group = find_column(columns, "brand", false, path, "brand");
        } else {
          layout.prev_items = find_column(columns, "prev_items", true, path, "prev_items");
          layout.next_item = find_column(columns, "next_item", false, path, "next_item");
        }
        break;
      }
      case SessionFormat::kCsv: {
        layout.delimited = {delimiter, true};
        DelimitedReader reader(path, layout.delimited);
        const auto columns = header_columns(reader, false);
        set_names(layout, columns);
        layout.user = find_column(columns, columns_.user, true, path, "user");
        layout.item = find_column(columns, columns_.item, true, path, "item");
        if (!columns_.time.empty())
          layout.time = find_column(columns, columns_.time, true, path, "time");
        if (!columns_.weight.empty())
          layout.weight = find_column(columns, columns_.weight, true, path, "weight");
        if (!columns_.type.empty())
          layout.type = find_column(columns, columns_.type, true, path, "interaction type");
        if (!columns_.group.empty())
          layout.group = find_column(columns, columns_.group, true, path, "group");
        break;
      }
    }
    if (is_item_file) {
      item_files_.push_back(path);
      item_layouts_.push_back(layout);
      continue;
    }
    const bool time = layout.time >= 0, weight = layout.weight >= 0, type = layout.type >= 0;
    if (first_event_file) {
      has_time_ = time;
      has_weight_ = weight;
      has_type_ = type;
      first_event_file = false;
    }
    REQUIRE(time == has_time_ && weight == has_weight_ && type == has_type_,
            path << ": has " << (time ? "a" : "no") << " time, " << (weight ? "a" : "no")
                 << " weight and " << (type ? "a" : "no")
                 << " type column, unlike the first event file " << event_files_.front());
    event_files_.push_back(path);
    event_layouts_.push_back(layout);
    event_bytes_ += static_cast<int64_t>(fs::file_size(path));
  }
  REQUIRE(!event_files_.empty(),
          "no event file among the inputs (for "
              << session_format_name(format) << ": "
              << (format == SessionFormat::kRecbole     ? "a .inter file"
                  : format == SessionFormat::kMovielens ? "ratings.dat or "
                                                          "ratings.csv"
                  : format == SessionFormat::kAmazonM2  ? "a sessions file with prev_items"
                                                        : "a csv file")
              << ")");
}

std::pair<std::string_view, std::string_view> SessionSource::split_item_key(std::string_view key) {
  const size_t separator = key.find(kItemLocaleSeparator);
  if (separator == std::string_view::npos) return {key, std::string_view()};
  return {key.substr(0, separator), key.substr(separator + 1)};
}

namespace {

// Checks the record's field count, naming the line and the columns expected.
void require_fields(const DelimitedReader& reader, const Layout& layout) {
  if (reader.size() == layout.fields) return;
  std::string names;
  for (const std::string& name : layout.names) names += (names.empty() ? "" : ", ") + name;
  RAISE(reader.where() << ": " << reader.size() << " fields, expected " << layout.fields << " ("
                       << names << ")");
}

std::string_view required_text(const DelimitedReader& reader, const Layout& layout, int column) {
  const std::string_view text = reader[static_cast<size_t>(column)];
  REQUIRE(!text.empty(), reader.where(static_cast<size_t>(column))
                             << " (" << layout.names[static_cast<size_t>(column)]
                             << "): empty value");
  return text;
}

}  // namespace

void SessionSource::read_events(const std::function<void(const SourceEvent&)>& on_event,
                                const std::function<void(int64_t)>& on_progress) {
  counts_ = Counts();
  int64_t bytes_before = 0;
  for (size_t file = 0; file < event_files_.size(); ++file) {
    read_event_file(static_cast<int>(file), on_event, on_progress, bytes_before);
    bytes_before += static_cast<int64_t>(fs::file_size(event_files_[file]));
  }
  if (on_progress) on_progress(bytes_before);
}

void SessionSource::read_event_file(int file,
                                    const std::function<void(const SourceEvent&)>& on_event,
                                    const std::function<void(int64_t)>& on_progress,
                                    int64_t bytes_before) {
  const Layout& layout = event_layouts_[static_cast<size_t>(file)];
  DelimitedReader reader(event_files_[static_cast<size_t>(file)], layout.delimited);
  if (layout.header) reader.next();
  SourceEvent event;
  event.file = file;
  std::vector<std::string_view> list;
  std::string reason, session_id, item_key;
  std::vector<std::string> keys;
  int64_t next_progress = 0;
  while (reader.next()) {
    require_fields(reader, layout);
    ++counts_.records;
    event.line = reader.line();
    if (on_progress && reader.bytes_consumed() >= next_progress) {
      on_progress(bytes_before + reader.bytes_consumed());
      next_progress = reader.bytes_consumed() + (int64_t{4} << 20);
    }
    if (options_.format == SessionFormat::kAmazonM2) {
      const std::string_view locale = required_text(reader, layout, layout.locale);
      if (!options_.locales.empty()) {
        bool wanted = false;
        for (const std::string& keep : options_.locales) wanted = wanted || keep == locale;
        if (!wanted) {
          ++counts_.records_skipped_by_locale;
          continue;
        }
      }
      const size_t column = static_cast<size_t>(layout.prev_items);
      REQUIRE(parse_numpy_list(reader[column], list, reason),
              reader.where(column)
                  << " (prev_items): '" << reader[column].substr(0, 80) << "' " << reason);
      if (layout.next_item >= 0) list.push_back(required_text(reader, layout, layout.next_item));
      // A session is a user: its id is the record's index among the sessions read.
      session_id = std::to_string(counts_.records - 1);
      event.user = session_id;
      for (const std::string_view item : list) {
        REQUIRE(!item.empty(), reader.where(column) << " (prev_items): an empty item id");
        item_key.assign(item);
        item_key.push_back(kItemLocaleSeparator);
        item_key.append(locale);
        event.item = item_key;
        ++counts_.events;
        on_event(event);
      }
      continue;
    }
    event.user = required_text(reader, layout, layout.user);
    event.item = required_text(reader, layout, layout.item);
    if (layout.time >= 0) {
      const size_t column = static_cast<size_t>(layout.time);
      REQUIRE(parse_time_value(reader[column], event.time),
              reader.where(column) << " (" << layout.names[column] << "): '" << reader[column]
                                   << "' is not a whole number (times are integers, e.g. Unix "
                                      "seconds)");
    }
    if (layout.weight >= 0) {
      const size_t column = static_cast<size_t>(layout.weight);
      REQUIRE(parse_weight_value(reader[column], event.weight),
              reader.where(column) << " (" << layout.names[column] << "): '" << reader[column]
                                   << "' is not a number");
    }
    if (layout.type >= 0) event.type = required_text(reader, layout, layout.type);
    if (layout.group >= 0) event.group = reader[static_cast<size_t>(layout.group)];
    ++counts_.events;
    on_event(event);
  }
}

void SessionSource::read_items(
    const std::function<void(std::string_view, const std::vector<std::string_view>&,
                             const std::string&)>& on_item) {
  counts_.item_records = 0;
  std::vector<std::string_view> groups;
  std::string key;
  for (size_t file = 0; file < item_files_.size(); ++file) {
    const Layout& layout = item_layouts_[file];
    DelimitedReader reader(item_files_[file], layout.delimited);
    if (layout.header) reader.next();
    while (reader.next()) {
      require_fields(reader, layout);
      ++counts_.item_records;
      key.assign(required_text(reader, layout, layout.item));
      if (layout.locale >= 0) {
        key.push_back(kItemLocaleSeparator);
        key.append(required_text(reader, layout, layout.locale));
      }
      groups.clear();
      if (layout.group >= 0) {
        std::string_view text = trim(reader[static_cast<size_t>(layout.group)]);
        if (layout.group_separator == 0) {
          if (!text.empty()) groups.push_back(text);
        } else {
          while (!text.empty()) {
            const size_t stop = text.find(layout.group_separator);
            const std::string_view group = trim(text.substr(0, stop));
            if (!group.empty()) groups.push_back(group);
            if (stop == std::string_view::npos) break;
            text.remove_prefix(stop + 1);
          }
        }
      }
      on_item(key, groups, reader.where());
    }
  }
}

}  // namespace slatetrain
