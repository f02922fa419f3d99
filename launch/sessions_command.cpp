// slateconvert sessions: a session log without slates to sharded HDF5
// (data/session_converter.hpp).
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "data/session_converter.hpp"
#include "launch/command_line.hpp"
#include "launch/slateconvert_commands.hpp"
#include "launch/split_options.hpp"

namespace slatetrain {

int sessions_command(int argc, char** argv) {
  SessionConvertOptions options;
  SessionColumns& columns = options.source.columns;
  const auto app = make_command_line(
      "slateconvert sessions",
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
      "  csv        delimited files with a header; name the columns below\n");
  std::string format;
  app->add_option("--format", format, "the source's format")
      ->type_name("FORMAT")
      ->check(one_of({"recbole", "movielens", "amazon-m2", "csv"}))
      ->required();
  app->add_option("--input", options.source.inputs,
                  "the source files, one or more, until the next option")
      ->type_name("PATH")
      ->required();
  app->add_option("--output", options.output, "directory to create")->type_name("DIR")->required();
  add_number_option(*app, "--shards", options.shards, "number of shard files", "N")
      ->check(within(at_least(1)));
  app->add_flag("--force", options.force,
                "replace an earlier conversion (only after success; never\n"
                "an input or a directory slateconvert did not write)");
  std::string protocol = protocol_name(options.protocol);
  app->add_option("--protocol", protocol,
                  "the evaluation protocol: leave-one-out holds out each\n"
                  "user's last events, users holds out whole users")
      ->type_name("P")
      ->check(one_of({"leave-one-out", "users"}))
      ->capture_default_str();
  add_number_option(*app, "--gzip", options.gzip_level,
                    "compress shards with shuffle + deflate (0: none)", "LEVEL")
      ->check(within(between(0, 9)));
  int64_t memory_megabytes = options.memory_bytes >> 20;
  add_number_option(*app, "--memory-mb", memory_megabytes,
                    "memory for ordering events; beyond it the events go\n"
                    "through run files in the output's temporary directory",
                    "M")
      ->check(within(between(1, kMostMemoryMegabytes)));
  bool quiet = false;
  app->add_flag("--quiet", quiet, "no progress lines");

  const std::string source = "source columns";
  app->add_option("--user-column", columns.user,
                  "csv: the user or session column (recbole default user_id)")
      ->type_name("NAME")
      ->group(source);
  app->add_option("--item-column", columns.item, "csv: the item column (recbole default item_id)")
      ->type_name("NAME")
      ->group(source);
  app->add_option("--time-column", columns.time,
                  "csv: the time column, integers (recbole default\n"
                  "timestamp); without one, file order is time order")
      ->type_name("NAME")
      ->group(source);
  app->add_option("--weight-column", columns.weight,
                  "the rating or weight column (recbole default rating)")
      ->type_name("NAME")
      ->group(source);
  app->add_option("--type-column", columns.type,
                  "the interaction type column (names become 1, 2, ...)")
      ->type_name("NAME")
      ->group(source);
  app->add_option("--group-column", columns.group,
                  "csv: the item's group on each row; recbole .item: the\n"
                  "group column (default class)")
      ->type_name("NAME")
      ->group(source);
  app->add_option("--delimiter", options.source.delimiter,
                  "csv: the field delimiter (default ','; 'tab' for tabs)")
      ->type_name("D")
      ->group(source);
  app->add_option("--locale", options.source.locales,
                  "amazon-m2: keep only sessions of these locales")
      ->type_name("L[,L...]")
      ->delimiter(',')
      ->allow_extra_args(false)
      ->group(source);

  const std::string filters = "filters (in this order, docs/FORMAT.md)";
  double min_rating = 0;
  app->add_option("--min-rating", min_rating, "drop events rated below R")
      ->type_name("R")
      ->transform(number_text<double>())
      ->group(filters);
  app->add_flag("--remove-consecutive-duplicates", options.filters.remove_consecutive_duplicates,
                "drop an event with the item and type of the user's\n"
                "previous event")
      ->group(filters);
  add_number_option(*app, "--min-user-interactions", options.filters.min_user_interactions,
                    "k-core: drop users with fewer than K events (iterated\n"
                    "with the items' threshold to a fixed point, as RecBole)",
                    "K")
      ->check(within(at_least(0)))
      ->group(filters);
  add_number_option(*app, "--min-item-interactions", options.filters.min_item_interactions,
                    "k-core: drop items with fewer than K events", "K")
      ->check(within(at_least(0)))
      ->group(filters);
  add_split_options(*app, options.split,
                    "protocol users: the held-out users (as slateconvert finn)");
  if (const auto exit_code = parse_command_line(*app, argc, argv)) return *exit_code;
  parse_session_format(format, options.source.format);
  parse_protocol(protocol, options.protocol);
  if (app->count("--min-rating") > 0) options.filters.min_rating = min_rating;
  options.memory_bytes = memory_megabytes << 20;
  options.show_progress = !quiet;
  // "--locale DE,,JP" names two locales.
  std::vector<std::string>& locales = options.source.locales;
  locales.erase(std::remove(locales.begin(), locales.end(), std::string()), locales.end());

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
