// What `slateconvert sessions` reads and how (docs/FORMAT.md, "Session conversions"): the
// source format, its files and column names, and the filters. The same options, recorded in
// the manifest's "conversion", let `slateconvert verify` read the source again exactly.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "data/protocol.hpp"
#include "data/split.hpp"

namespace slatetrain {

enum class SessionFormat { kRecbole, kMovielens, kAmazonM2, kCsv };

const char* session_format_name(SessionFormat format);  // "recbole", "movielens", ...
bool parse_session_format(const std::string& name, SessionFormat& format);

// Column names of the source (empty: the format's default, or absent for optional columns).
struct SessionColumns {
  std::string user, item, time, weight, type, group;
};

// How to read the source: enough for the converter and for verify.
struct SessionSourceOptions {
  SessionFormat format = SessionFormat::kCsv;
  std::vector<std::string> inputs;  // paths, in order (event files and item files)
  SessionColumns columns;
  std::string delimiter;             // csv only (default ","); "tab" or "\t" for tabs
  std::vector<std::string> locales;  // amazon-m2: keep only sessions of these (empty: all)
};

// The filters, applied in this order (docs/FORMAT.md): min_rating on each event, consecutive
// duplicates in each user's time order, then the k-core to a fixed point.
struct SessionFilters {
  std::optional<double> min_rating;            // keep events with weight >= min_rating
  bool remove_consecutive_duplicates = false;  // same item and type as the user's previous event
  int64_t min_user_interactions = 0;           // k-core: users with fewer are removed
  int64_t min_item_interactions = 0;           // k-core: items with fewer are removed
};

struct SessionConvertOptions {
  SessionSourceOptions source;
  SessionFilters filters;
  std::string output;
  int shards = 1;
  bool force = false;
  Protocol protocol = Protocol::kLeaveOneOut;
  SplitParameters split;  // protocol users only
  int gzip_level = 0;
  int64_t memory_bytes = int64_t{1} << 30;  // the sort's budget (beyond it: run files)
  int64_t block_users = 16384;              // users per block written to a shard
  bool show_progress = true;
};

// The manifest's "conversion" object: the source options and the filters (counts are added by
// the converter). Read back for verify; errors name `where` and the key.
nlohmann::json session_options_to_json(const SessionSourceOptions& source,
                                       const SessionFilters& filters);
void session_options_from_json(const nlohmann::json& json, const std::string& where,
                               SessionSourceOptions& source, SessionFilters& filters);

}  // namespace slatetrain
