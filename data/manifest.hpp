// manifest.json of a converted directory (docs/FORMAT.md): what the shards hold, how they were
// made (the protocol and its split, source files and their hashes, the anomalies found or the
// session conversion's options and filter counts), and the checksums of every output file.
// Everything the loader, verify and inspect need, typed.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "data/id_conventions.hpp"
#include "data/protocol.hpp"
#include "data/split.hpp"

namespace slatetrain {

// Version 2 added the protocol, the session fields and the session shard layout; version 1
// manifests (FINN conversions made before) are still read, as protocol "users".
inline constexpr int kManifestSchemaVersion = 2;
inline constexpr int kOldestManifestSchemaVersion = 1;
// Shard files carry their layout's version in their schema_version attribute: 1 the slate
// layout (FINN, unchanged), 2 the session layout (no /steps/t, no slates, optional per-step
// timestamp and weight, original user ids).
inline constexpr int kSlateShardSchemaVersion = 1;
inline constexpr int kSessionShardSchemaVersion = 2;
inline constexpr const char* kManifestFile = "manifest.json";
inline constexpr const char* kItemsFile = "items.h5";

// One output file and its checksum (zlib CRC-32 of the whole file, 8 hex digits).
struct OutputFileInfo {
  std::string file;
  int64_t bytes = 0;
  std::string crc32;
};

// One shard: users [first_row, first_row + users) of the source arrays.
struct ShardInfo {
  std::string file;
  int64_t first_row = 0;
  int64_t users = 0;
  int64_t steps = 0;
  int64_t slate_items = 0;
  int64_t bytes = 0;
  std::string crc32;
};

// The split's parameters (usable wherever SplitParameters is expected) and its user counts.
struct ManifestSplit : SplitParameters {
  int64_t train_users = 0;
  int64_t valid_users = 0;
  int64_t test_users = 0;
};

struct SourceFileInfo {
  std::string name;  // "data.npz", "itemattr.npz", "ind2val.json"
  int64_t bytes = 0;
  std::string sha256;
};

struct SourceInfo {
  std::string int_dtype;   // FINN only: "int32" or "int64", the dtype of data.npz's arrays
  bool compressed = true;  // FINN only: data.npz's members deflated
  std::vector<SourceFileInfo> files;
};

// Leave-one-out: users with at least kLeaveOneOutMinEvents events have a validation and a test
// event ("evaluated"); the others only train ("train_only").
struct LeaveOneOutUsers {
  int64_t evaluated = 0;
  int64_t train_only = 0;
};

// Counts of each anomaly kind (names in data/finn_checks.hpp) and up to a few examples each.
struct AnomalyReport {
  std::map<std::string, int64_t> counts;
  nlohmann::json examples = nlohmann::json::array();
  int64_t total() const;
};

struct Manifest {
  int schema_version = kManifestSchemaVersion;
  std::string format = "slatetrain-ragged-slates";
  std::string dataset = "finn";  // finn, movielens, recbole, amazon-m2, csv
  Protocol protocol = Protocol::kUsers;
  int64_t num_users = 0;
  int64_t num_items = 0;
  int64_t num_item_groups = 0;
  int64_t num_stored_steps = 0;
  int64_t num_interactions = 0;  // stored steps with click != 0
  int64_t num_slate_items = 0;
  int max_steps = 20;
  int slate_slots = 25;
  IdConventions ids;  // which ids are not items ("ids")
  // Protocol users: the split as written. Leave-one-out: no split is written; on load the
  // counts say train = every user, valid = test = leave_one_out.evaluated (the phases' users).
  ManifestSplit split;
  LeaveOneOutUsers leave_one_out;  // leave-one-out only
  // Optional per-step datasets of the shards ("timestamp", "weight"; session layout only).
  std::vector<std::string> step_datasets;
  // Session datasets: the names of the item groups (index = group id, 0 "(none)") and of the
  // interaction types (index = the stored value, 0 "(none)"). Empty for FINN (see ind2val).
  std::vector<std::string> item_groups;
  std::vector<std::string> interaction_types;
  // Session datasets: how the conversion was made (format, options) and what the filters
  // removed (data/session_conversion.hpp reads and writes it). Empty object for FINN.
  nlohmann::json conversion = nlohmann::json::object();
  // Stored steps by their slate_length value (index = slate_length).
  std::vector<int64_t> slate_length_histogram;
  nlohmann::json ind2val = nlohmann::json::object();
  SourceInfo source;
  AnomalyReport anomalies;
  OutputFileInfo items_file;
  std::vector<ShardInfo> shards;
  std::string created_by;
  // A random id drawn once per conversion and also written into every shard file (attribute
  // conversion_id), so a shard of another conversion is refused when it is opened. Empty for
  // directories converted before it existed: their shards' identity cannot be checked.
  std::string conversion_id;

  // Reads directory/manifest.json; checks schema_version and that the fields are there and
  // typed right. Errors name the file and the key.
  static Manifest load(const std::string& directory);
  static Manifest from_json(const nlohmann::json& json, const std::string& where);
  nlohmann::json to_json() const;
  // Writes the manifest (pretty-printed) to `path`.
  void save(const std::string& path) const;

  // The number of interaction types (ind2val's "interaction_type" map, or a session
  // conversion's interaction_types; 1 when there are none): steps hold types 0 .. count-1.
  int64_t interaction_type_count() const;

  bool has_step_dataset(const std::string& name) const;
  std::string shard_path(const std::string& directory, size_t index) const;
  std::string items_path(const std::string& directory) const;
};

// "shard-00002-of-00004.h5"
std::string shard_file_name(int shard_index, int shard_count);

// A fresh conversion id: 128 random bits as 32 lower-case hex digits.
std::string new_conversion_id();

}  // namespace slatetrain
