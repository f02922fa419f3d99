// slateconvert sessions: a session log without slates to sharded HDF5
// (data/session_converter.hpp).
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <type_traits>

#include "core/error.hpp"
#include "data/session_converter.hpp"
#include "launch/slateconvert_commands.hpp"

namespace slatetrain {

namespace {

constexpr const char* kSessionsUsage =
    "usage: slateconvert sessions --format FORMAT --input PATH... --output DIR --shards N "
    "[options]\n"
    "\n"
    "Converts a session or rating log without slates into N HDF5 shards of users (each user's\n"
    "events in time order), items.h5 (original item ids and groups) and manifest.json\n"
    "(docs/FORMAT.md). The output is built beside the target and renamed into place only when\n"
    "complete.\n"
    "\n"
    "formats (--input takes every file, in order):\n"
    "  recbole    NAME.inter (tab-separated, typed header, e.g. user_id:token item_id:token\n"
    "             rating:float timestamp:float, any column order) [NAME.item for groups]\n"
    "  movielens  ratings.dat (UserID::MovieID::Rating::Timestamp) or ratings.csv\n"
    "             (userId,movieId,rating,timestamp) [movies.dat or movies.csv for genres]\n"
    "  amazon-m2  sessions_train.csv (prev_items,next_item,locale; each session is a user)\n"
    "             [products_train.csv for brands; items are (id, locale)]\n"
    "  csv        delimited files with a header; name the columns below\n"
    "\n"
    "options:\n"
    "  --format FORMAT              recbole, movielens, amazon-m2 or csv\n"
    "  --input PATH...              the source files (one or more, until the next option)\n"
    "  --output DIR                 directory to create\n"
    "  --shards N                   number of shard files (default 1)\n"
    "  --force                      replace an earlier conversion (only after success; never\n"
    "                               an input or a directory slateconvert did not write)\n"
    "  --protocol P                 leave-one-out (default) or users (held-out users)\n"
    "  --user-column NAME           csv: the user or session column (recbole default user_id)\n"
    "  --item-column NAME           csv: the item column (recbole default item_id)\n"
    "  --time-column NAME           csv: the time column, integers (recbole default timestamp);\n"
    "                               without one, file order is time order\n"
    "  --weight-column NAME         the rating or weight column (recbole default rating)\n"
    "  --type-column NAME           the interaction type column (names become 1, 2, ...)\n"
    "  --group-column NAME          csv: the item's group on each row; recbole .item: the\n"
    "                               group column (default class)\n"
    "  --delimiter D                csv: the field delimiter (default ','; 'tab' for tabs)\n"
    "  --locale L[,L...]            amazon-m2: keep only sessions of these locales\n"
    "  --min-rating R               drop events rated below R\n"
    "  --remove-consecutive-duplicates\n"
    "                               drop an event with the item and type of the user's previous\n"
    "  --min-user-interactions K    k-core: drop users with fewer than K events (iterated with\n"
    "  --min-item-interactions K    the items' threshold to a fixed point, as RecBole does)\n"
    "  --split-seed S, --valid-fraction F, --test-fraction F, --t-testsplit T\n"
    "                               protocol users: the held-out users (as slateconvert finn)\n"
    "  --gzip LEVEL                 compress shards with shuffle + deflate 1..9 (default 0)\n"
    "  --memory-mb M                memory for ordering events (default 1024); beyond it the\n"
    "                               events go through run files in the output's temporary\n"
    "                               directory\n"
    "  --quiet                      no progress lines\n";

template <typename T>
T parse_number(const std::string& option, const std::string& text) {
  char* end = nullptr;
  T value{};
  errno = 0;
  if constexpr (std::is_floating_point_v<T>) {
    value = static_cast<T>(std::strtod(text.c_str(), &end));
  } else if constexpr (std::is_unsigned_v<T>) {
    value = static_cast<T>(std::strtoull(text.c_str(), &end, 10));
  } else {
    value = static_cast<T>(std::strtoll(text.c_str(), &end, 10));
  }
  REQUIRE(!text.empty() && end != nullptr && *end == '\0' && errno == 0,
          option << " expects a number, got '" << text << "'");
  return value;
}

std::vector<std::string> split_commas(const std::string& text) {
  std::vector<std::string> parts;
  size_t begin = 0;
  while (begin <= text.size()) {
    const size_t comma = text.find(',', begin);
    const std::string part =
        text.substr(begin, comma == std::string::npos ? std::string::npos : comma - begin);
    if (!part.empty()) parts.push_back(part);
    if (comma == std::string::npos) break;
    begin = comma + 1;
  }
  return parts;
}

}  // namespace

int sessions_command(int argc, char** argv) {
  SessionConvertOptions options;
  bool format_given = false;
  for (int i = 1; i < argc; ++i) {
    const std::string option = argv[i];
    auto value = [&]() -> std::string {
      REQUIRE(i + 1 < argc, option << " needs a value (see slateconvert sessions --help)");
      return argv[++i];
    };
    SessionColumns& columns = options.source.columns;
    if (option == "--help" || option == "-h") {
      std::fputs(kSessionsUsage, stdout);
      return 0;
    } else if (option == "--format") {
      const std::string name = value();
      REQUIRE(parse_session_format(name, options.source.format),
              "--format must be recbole, movielens, amazon-m2 or csv, not '" << name << "'");
      format_given = true;
    } else if (option == "--input") {
      REQUIRE(i + 1 < argc && argv[i + 1][0] != '-', "--input needs at least one path");
      while (i + 1 < argc && argv[i + 1][0] != '-') options.source.inputs.push_back(argv[++i]);
    } else if (option == "--output") {
      options.output = value();
    } else if (option == "--shards") {
      options.shards = parse_number<int>(option, value());
    } else if (option == "--force") {
      options.force = true;
    } else if (option == "--protocol") {
      const std::string name = value();
      REQUIRE(parse_protocol(name, options.protocol),
              "--protocol must be leave-one-out or users, not '" << name << "'");
    } else if (option == "--user-column") {
      columns.user = value();
    } else if (option == "--item-column") {
      columns.item = value();
    } else if (option == "--time-column") {
      columns.time = value();
    } else if (option == "--weight-column") {
      columns.weight = value();
    } else if (option == "--type-column") {
      columns.type = value();
    } else if (option == "--group-column") {
      columns.group = value();
    } else if (option == "--delimiter") {
      options.source.delimiter = value();
    } else if (option == "--locale") {
      options.source.locales = split_commas(value());
    } else if (option == "--min-rating") {
      options.filters.min_rating = parse_number<double>(option, value());
    } else if (option == "--remove-consecutive-duplicates") {
      options.filters.remove_consecutive_duplicates = true;
    } else if (option == "--min-user-interactions") {
      options.filters.min_user_interactions = parse_number<int64_t>(option, value());
    } else if (option == "--min-item-interactions") {
      options.filters.min_item_interactions = parse_number<int64_t>(option, value());
    } else if (option == "--split-seed") {
      options.split.seed = parse_number<uint64_t>(option, value());
    } else if (option == "--valid-fraction") {
      options.split.valid_fraction = parse_number<double>(option, value());
    } else if (option == "--test-fraction") {
      options.split.test_fraction = parse_number<double>(option, value());
    } else if (option == "--t-testsplit") {
      options.split.t_testsplit = parse_number<int>(option, value());
    } else if (option == "--gzip") {
      options.gzip_level = parse_number<int>(option, value());
    } else if (option == "--memory-mb") {
      options.memory_bytes = parse_number<int64_t>(option, value()) << 20;
    } else if (option == "--quiet") {
      options.show_progress = false;
    } else {
      std::fprintf(stderr, "slateconvert sessions: unknown option '%s'\n\n%s", option.c_str(),
                   kSessionsUsage);
      return 2;
    }
  }
  if (!format_given || options.source.inputs.empty() || options.output.empty()) {
    std::fprintf(stderr, "slateconvert sessions: --format, --input and --output are required\n\n%s",
                 kSessionsUsage);
    return 2;
  }
  const Manifest manifest = convert_sessions(options);
  const nlohmann::json& counts = manifest.conversion["counts"];
  std::printf(
      "converted %lld users, %lld items, %lld events (longest history %d) into %zu shards in %s "
      "(protocol %s)\n",
      static_cast<long long>(manifest.num_users),
      static_cast<long long>(manifest.num_items - manifest.ids.first_item),
      static_cast<long long>(manifest.num_interactions), manifest.max_steps, manifest.shards.size(),
      options.output.c_str(), protocol_name(manifest.protocol));
  std::printf(
      "source: %s records, %s events, %s users, %s items; removed: %s below --min-rating, %s "
      "consecutive duplicates, k-core %s events (%s users, %s items, %s iterations)\n",
      counts["source"]["records"].dump().c_str(), counts["source"]["events"].dump().c_str(),
      counts["source"]["users"].dump().c_str(), counts["source"]["items"].dump().c_str(),
      counts["min_rating"]["removed_events"].dump().c_str(),
      counts["consecutive_duplicates"]["removed_events"].dump().c_str(),
      counts["k_core"]["removed_events"].dump().c_str(),
      counts["k_core"]["removed_users"].dump().c_str(),
      counts["k_core"]["removed_items"].dump().c_str(),
      counts["k_core"]["iterations"].dump().c_str());
  if (manifest.protocol == Protocol::kLeaveOneOut)
    std::printf("leave-one-out: %lld users evaluated, %lld with fewer than %d events train only\n",
                static_cast<long long>(manifest.leave_one_out.evaluated),
                static_cast<long long>(manifest.leave_one_out.train_only), kLeaveOneOutMinEvents);
  return 0;
}

}  // namespace slatetrain
