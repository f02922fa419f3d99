// manifest.json of a converted directory (docs/FORMAT.md): what the shards hold, how they were
// made (split parameters, source files and their hashes), the anomalies found, and the
// checksums of every output file. Everything the loader, verify and inspect need, typed.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "data/id_conventions.hpp"
#include "data/split.hpp"

namespace slatetrain {

inline constexpr int kManifestSchemaVersion = 1;
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
  std::string int_dtype;   // "int32" or "int64": the dtype of data.npz's arrays
  bool compressed = true;  // data.npz's members deflated
  std::vector<SourceFileInfo> files;
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
  std::string dataset = "finn";
  int64_t num_users = 0;
  int64_t num_items = 0;
  int64_t num_item_groups = 0;
  int64_t num_stored_steps = 0;
  int64_t num_interactions = 0;  // stored steps with click != 0
  int64_t num_slate_items = 0;
  int max_steps = 20;
  int slate_slots = 25;
  IdConventions ids;  // which ids are not items ("ids")
  ManifestSplit split;
  // Stored steps by their slate_length value (index = slate_length).
  std::vector<int64_t> slate_length_histogram;
  nlohmann::json ind2val = nlohmann::json::object();
  SourceInfo source;
  AnomalyReport anomalies;
  OutputFileInfo items_file;
  std::vector<ShardInfo> shards;
  std::string created_by;

  // Reads directory/manifest.json; checks schema_version and that the fields are there and
  // typed right. Errors name the file and the key.
  static Manifest load(const std::string& directory);
  static Manifest from_json(const nlohmann::json& json, const std::string& where);
  nlohmann::json to_json() const;
  // Writes the manifest (pretty-printed) to `path`.
  void save(const std::string& path) const;

  // The number of interaction types (ind2val's "interaction_type" map; 1 when it has none):
  // steps hold types 0 .. count-1.
  int64_t interaction_type_count() const;

  std::string shard_path(const std::string& directory, size_t index) const;
  std::string items_path(const std::string& directory) const;
};

// "shard-00002-of-00004.h5"
std::string shard_file_name(int shard_index, int shard_count);

}  // namespace slatetrain
