#include "tests/session_log_generator.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <stdexcept>

#include "core/random.hpp"

namespace slatetrain::testing {

namespace {

constexpr char kSeparator = '\x1f';

// A buffered output file; throws on failure.
class Output {
 public:
  explicit Output(const std::string& path) : path_(path), file_(std::fopen(path.c_str(), "wb")) {
    if (file_ == nullptr) throw std::runtime_error(path + ": cannot create");
    std::setvbuf(file_, nullptr, _IOFBF, 1 << 20);
  }
  ~Output() {
    if (file_ != nullptr) std::fclose(file_);
  }
  void write(const std::string& text) {
    if (std::fwrite(text.data(), 1, text.size(), file_) != text.size())
      throw std::runtime_error(path_ + ": write failed");
  }

 private:
  std::string path_;
  FILE* file_;
};

// Skewed draws: a few users and items have most events.
int64_t skewed(Random& random, int64_t n, double power) {
  return std::min<int64_t>(n - 1, static_cast<int64_t>(std::pow(random.uniform(), power) * n));
}

std::string number(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", value);
  return text;
}

// The CSV form of a field: quoted when it holds the delimiter, a quote or a line break.
std::string csv_field(const std::string& value, const std::string& delimiter) {
  if (value.find(delimiter) == std::string::npos &&
      value.find_first_of("\"\n\r") == std::string::npos)
    return value;
  std::string out = "\"";
  for (const char c : value) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

const char* const kGenres[] = {"Action", "Adventure", "Animation", "Children's", "Comedy",
                               "Crime",  "Drama",     "Horror",    "Sci-Fi",     "Western"};

std::vector<std::string> genres_of(int64_t item) {
  const uint64_t bits = mix64(static_cast<uint64_t>(item) * 31 + 7);
  std::vector<std::string> genres;
  if (bits % 13 == 0) return genres;  // "(no genres listed)"
  const int count = 1 + static_cast<int>((bits >> 8) % 3);
  for (int g = 0; g < count; ++g) {
    const std::string genre = kGenres[(bits >> (16 + 4 * g)) % 10];
    if (std::find(genres.begin(), genres.end(), genre) == genres.end()) genres.push_back(genre);
  }
  return genres;
}

std::string title_of(int64_t item) {
  const uint64_t bits = mix64(static_cast<uint64_t>(item) + 99);
  std::string title = "Movie " + std::to_string(item);
  if (bits % 3 == 0) title += ", The";
  if (bits % 5 == 0) title = "\"Quoted\" " + title;
  return title + " (" + std::to_string(1950 + bits % 70) + ")";
}

std::string asin_of(int64_t item) {
  static const char kAlphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
  uint64_t bits = mix64(static_cast<uint64_t>(item) + 12345);
  std::string id = "B0";
  for (int k = 0; k < 8; ++k) {
    id += kAlphabet[bits % 36];
    bits /= 36;
  }
  return id;
}

// NumPy's print of a 1-d string array at its default line width (75): elements separated by
// a space, a line break and one space of indent before an element that would pass the width.
std::string numpy_list(const std::vector<std::string>& ids) {
  std::string out = "[";
  size_t line_length = 1;
  for (size_t i = 0; i < ids.size(); ++i) {
    const std::string element = "'" + ids[i] + "'";
    if (i > 0) {
      if (line_length + 1 + element.size() + 1 > 75) {
        out += "\n ";
        line_length = 1;
      } else {
        out += " ";
        ++line_length;
      }
    }
    out += element;
    line_length += element.size();
  }
  return out + "]";
}

struct Model {
  const SessionLogSpec& spec;
  Random random;
  std::vector<int64_t> last_item;  // per user, -1 none

  explicit Model(const SessionLogSpec& s) : spec(s), random(s.seed), last_item(s.users, -1) {}

  // The next (user, item, time) of an interleaved log.
  void draw(int64_t& user, int64_t& item, int64_t& time) {
    user = skewed(random, spec.users, 1.6);
    const int64_t previous = last_item[static_cast<size_t>(user)];
    item = previous >= 0 && random.uniform() < spec.repeat_probability
               ? previous
               : skewed(random, spec.items, 2.0);
    last_item[static_cast<size_t>(user)] = item;
    // Coarse times: many ties within a user.
    time = 880000000 + static_cast<int64_t>(random.below(5000)) * 60;
  }
};

}  // namespace

std::vector<std::string> write_session_log(
    const SessionLogSpec& spec, const std::string& directory,
    const std::function<void(const GeneratedEvent&)>& on_event,
    const std::function<void(const GeneratedItem&)>& on_item) {
  std::filesystem::create_directories(directory);
  Model model(spec);
  Random& random = model.random;
  GeneratedEvent event;
  std::vector<std::string> paths;
  std::vector<uint8_t> used(static_cast<size_t>(spec.items), 0);
  auto emit = [&] {
    if (on_event) on_event(event);
  };
  const std::string& format = spec.format;

  if (format == "recbole") {
    // Columns in a seeded order; the converter must find them by name.
    std::vector<std::string> columns = {"user_id:token", "item_id:token", "rating:float",
                                        "timestamp:float"};
    for (size_t i = columns.size() - 1; i > 0; --i)
      std::swap(columns[i], columns[random.below(i + 1)]);
    const std::string path = directory + "/log.inter";
    Output out(path);
    std::string line;
    for (size_t c = 0; c < columns.size(); ++c) line += (c ? "\t" : "") + columns[c];
    out.write(line + "\n");
    for (int64_t row = 0; row < spec.rows; ++row) {
      int64_t user, item, time;
      model.draw(user, item, time);
      used[static_cast<size_t>(item)] = 1;
      event.user = std::to_string(user + 1);
      event.item = "i" + std::to_string(item + 1);
      event.time = time;
      event.rating = static_cast<double>(1 + random.below(5));
      line.clear();
      for (size_t c = 0; c < columns.size(); ++c) {
        if (c) line += '\t';
        if (columns[c][0] == 'u') line += event.user;
        if (columns[c][0] == 'i') line += event.item;
        if (columns[c][0] == 'r') line += number(event.rating);
        if (columns[c][0] == 't') line += std::to_string(time);
      }
      out.write(line + "\n");
      emit();
    }
    paths.push_back(path);
    const std::string item_path = directory + "/log.item";
    Output items(item_path);
    items.write("item_id:token\tmovie_title:token_seq\trelease_year:token\tclass:token_seq\n");
    for (int64_t item = 0; item < spec.items; ++item) {
      if (!used[static_cast<size_t>(item)] && item % 2 == 0) continue;  // a few unused ones stay
      GeneratedItem described{"i" + std::to_string(item + 1), genres_of(item)};
      std::string classes;
      for (const std::string& genre : described.groups)
        classes += (classes.empty() ? "" : " ") + genre;
      items.write(described.item + "\tMovie " + std::to_string(item) + "\t1995\t" + classes + "\n");
      if (on_item) on_item(described);
    }
    paths.push_back(item_path);
    return paths;
  }

  if (format == "movielens-dat" || format == "movielens-csv") {
    const bool dat = format == "movielens-dat";
    const std::string path = directory + (dat ? "/ratings.dat" : "/ratings.csv");
    Output out(path);
    if (!dat) out.write("userId,movieId,rating,timestamp\n");
    for (int64_t row = 0; row < spec.rows; ++row) {
      int64_t user, item, time;
      model.draw(user, item, time);
      used[static_cast<size_t>(item)] = 1;
      event.user = std::to_string(user + 1);
      event.item = std::to_string(item + 1);
      event.time = time;
      // ml-1m rates in whole stars; ml-20m and later in half stars.
      event.rating = dat ? static_cast<double>(1 + random.below(5))
                         : 0.5 * static_cast<double>(1 + random.below(10));
      const char* separator = dat ? "::" : ",";
      out.write(event.user + separator + event.item + separator + number(event.rating) + separator +
                std::to_string(time) + (dat ? "\n" : "\r\n"));
      emit();
    }
    paths.push_back(path);
    const std::string movies_path = directory + (dat ? "/movies.dat" : "/movies.csv");
    Output movies(movies_path);
    if (!dat) movies.write("movieId,title,genres\n");
    for (int64_t item = 0; item < spec.items; ++item) {
      if (!used[static_cast<size_t>(item)] && item % 2 == 0) continue;
      GeneratedItem described{std::to_string(item + 1), genres_of(item)};
      std::string genres;
      for (const std::string& genre : described.groups)
        genres += (genres.empty() ? "" : "|") + genre;
      if (genres.empty()) genres = "(no genres listed)";
      const std::string title = title_of(item);
      if (dat)
        movies.write(described.item + "::" + title + "::" + genres + "\n");
      else
        movies.write(described.item + "," + csv_field(title, ",") + "," + genres + "\n");
      if (on_item) on_item(described);
    }
    paths.push_back(movies_path);
    return paths;
  }

  if (format == "amazon-m2") {
    static const char* const kLocales[] = {"DE", "JP", "UK", "ES", "FR", "IT"};
    const std::string path = directory + "/sessions_train.csv";
    Output out(path);
    out.write("prev_items,next_item,locale\n");
    int64_t events = 0, session = 0;
    std::vector<std::string> ids;
    std::map<std::string, int64_t> items_used;  // key -> item index
    while (events < spec.rows) {
      const std::string locale = kLocales[skewed(random, 6, 1.5)];
      // Mostly short sessions, some long enough to wrap over several lines.
      const int64_t length = 2 + (random.below(10) == 0 ? static_cast<int64_t>(random.below(60))
                                                        : static_cast<int64_t>(random.below(8)));
      ids.clear();
      int64_t item = skewed(random, spec.items, 2.0);
      for (int64_t k = 0; k < length; ++k) {
        if (k > 0 && random.uniform() >= spec.repeat_probability)
          item = skewed(random, spec.items, 2.0);
        ids.push_back(asin_of(item));
        items_used.emplace(ids.back() + kSeparator + locale, item);
      }
      const std::string next_item = ids.back();
      ids.pop_back();
      const std::string list = numpy_list(ids);
      // pandas quotes the field only when it spans lines (no comma inside).
      out.write(csv_field(list, ",") + "," + next_item + "," + locale + "\n");
      event.user = std::to_string(session);
      for (const std::string& id : ids) {
        event.item = id + kSeparator + locale;
        emit();
      }
      event.item = next_item + kSeparator + locale;
      emit();
      events += length;
      ++session;
    }
    paths.push_back(path);
    const std::string products_path = directory + "/products_train.csv";
    Output products(products_path);
    products.write("id,locale,title,price,brand,color,size,model,material,author,desc\n");
    for (const auto& [key, item] : items_used) {
      const size_t separator = key.find(kSeparator);
      const std::string id = key.substr(0, separator), locale = key.substr(separator + 1);
      const uint64_t bits = mix64(static_cast<uint64_t>(item));
      const std::string brand = bits % 7 == 0 ? "" : "Brand " + std::to_string(bits % 40);
      GeneratedItem described{key, {}};
      if (!brand.empty()) described.groups.push_back(brand);
      const std::string title = "Thing " + std::to_string(item) + ", size \"L\", 2-pack";
      const std::string desc = "Line one of " + id + ",\nline two, \"quoted\"";
      products.write(id + "," + locale + "," + csv_field(title, ",") + "," +
                     number(9.99 + static_cast<double>(bits % 100)) + "," + csv_field(brand, ",") +
                     ",black,,,cotton,," + csv_field(desc, ",") + "\n");
      if (on_item) on_item(described);
    }
    // An item of no session (the catalogue file is larger than the sessions).
    products.write(asin_of(spec.items + 5) + ",DE,Unsold,1.0,Brand 1,,,,,,\n");
    if (on_item) on_item({asin_of(spec.items + 5) + kSeparator + "DE", {"Brand 1"}});
    paths.push_back(products_path);
    return paths;
  }

  if (format == "csv") {
    static const char* const kTypes[] = {"view", "view", "view", "cart", "buy"};
    std::vector<std::string> columns = {"session", "item", "time", "event", "value", "category"};
    for (size_t i = columns.size() - 1; i > 0; --i)
      std::swap(columns[i], columns[random.below(i + 1)]);
    const std::string path = directory + "/events.csv";
    Output out(path);
    const std::string& d = spec.delimiter;
    std::string line;
    for (size_t c = 0; c < columns.size(); ++c) line += (c ? d : "") + columns[c];
    out.write(line + "\n");
    for (int64_t row = 0; row < spec.rows; ++row) {
      int64_t user, item, time;
      model.draw(user, item, time);
      char session[32];
      std::snprintf(session, sizeof session, "s%06llx",
                    static_cast<unsigned long long>(mix64(user) & 0xffffff));
      event.user = session;
      event.item = "SKU-" + std::to_string(item);
      event.time = time;
      event.rating = 0.25 * static_cast<double>(random.below(20));
      event.type = kTypes[random.below(5)];
      event.group = "cat " + std::to_string(item % 9) + (item % 4 == 0 ? ", x" : "");
      line.clear();
      for (size_t c = 0; c < columns.size(); ++c) {
        if (c) line += d;
        const std::string& name = columns[c];
        if (name == "session") line += event.user;
        if (name == "item") line += event.item;
        if (name == "time") line += std::to_string(time);
        if (name == "event") line += event.type;
        if (name == "value") line += number(event.rating);
        if (name == "category") line += csv_field(event.group, d);
      }
      out.write(line + "\n");
      emit();
    }
    paths.push_back(path);
    return paths;
  }
  throw std::runtime_error("unknown session log format '" + format + "'");
}

}  // namespace slatetrain::testing
