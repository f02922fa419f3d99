#include "data/manifest.hpp"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <limits>
#include <random>
#include <type_traits>
#include <vector>

#include "core/error.hpp"
#include "data/finn_format.hpp"

namespace slatetrain {

namespace {

using nlohmann::json;

template <typename T>
struct is_vector : std::false_type {};
template <typename E>
struct is_vector<std::vector<E>> : std::true_type {};

// Whether `value` is an integer that T represents (for integer T, and lists of them): nlohmann's
// get<T>() casts a double or an out-of-range integer unchecked (1e126 into int64 is undefined).
template <typename T>
bool integer_fits(const json& value) {
  if constexpr (is_vector<T>::value) {
    if (!value.is_array()) return true;  // get<T>() reports the wrong type
    for (const json& element : value)
      if (!integer_fits<typename T::value_type>(element)) return false;
    return true;
  } else if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
    if (value.is_number_unsigned())
      return value.get<uint64_t>() <= static_cast<uint64_t>(std::numeric_limits<T>::max());
    if (!value.is_number_integer()) return !value.is_number();  // a double: refused here
    const int64_t number = value.get<int64_t>();
    return number >= static_cast<int64_t>(std::numeric_limits<T>::min()) &&
           (number <= 0 ||
            static_cast<uint64_t>(number) <= static_cast<uint64_t>(std::numeric_limits<T>::max()));
  } else {
    return true;
  }
}

// Reads json[key] as T, with an error naming the manifest and the key path.
template <typename T>
T required(const json& object, const std::string& key, const std::string& where) {
  REQUIRE(object.is_object(), where << ": expected an object holding '" << key << "'");
  const auto found = object.find(key);
  REQUIRE(found != object.end(), where << ": missing key '" << key << "'");
  REQUIRE(integer_fits<T>(*found), where << ": key '" << key << "' is " << found->dump()
                                         << ", not an integer in the range of its field");
  try {
    return found->get<T>();
  } catch (const json::exception& error) {
    RAISE(where << ": key '" << key << "' has the wrong type: " << error.what());
  }
}

// An optional key: absent gives T{}; present with the wrong type is an error naming the key
// (json::value would throw its own exception, naming neither the file nor the key).
template <typename T>
T optional_key(const json& object, const std::string& key, const std::string& where) {
  return object.contains(key) ? required<T>(object, key, where) : T{};
}

const json& required_object(const json& object, const std::string& key, const std::string& where) {
  REQUIRE(object.is_object() && object.contains(key) && object.at(key).is_object(),
          where << ": missing object '" << key << "'");
  return object.at(key);
}

}  // namespace

int64_t AnomalyReport::total() const {
  int64_t sum = 0;
  for (const auto& [kind, count] : counts) sum += count;
  return sum;
}

std::string shard_file_name(int shard_index, int shard_count) {
  char name[64];
  std::snprintf(name, sizeof name, "shard-%05d-of-%05d.h5", shard_index, shard_count);
  return name;
}

std::string new_conversion_id() {
  std::random_device device;
  std::string id;
  for (int i = 0; i < 4; ++i) {
    char part[16];
    std::snprintf(part, sizeof part, "%08x", static_cast<unsigned>(device()));
    id += part;
  }
  return id;
}

bool Manifest::has_step_dataset(const std::string& name) const {
  for (const std::string& present : step_datasets)
    if (present == name) return true;
  return false;
}

std::string Manifest::shard_path(const std::string& directory, size_t index) const {
  REQUIRE(index < shards.size(),
          "shard " << index << " requested but the manifest lists " << shards.size());
  return directory + "/" + shards[index].file;
}

std::string Manifest::items_path(const std::string& directory) const {
  return directory + "/" + items_file.file;
}

int64_t Manifest::interaction_type_count() const {
  const auto found = ind2val.find("interaction_type");
  if (found == ind2val.end() || !found->is_object() || found->empty()) {
    // A session conversion names its types in interaction_types ("(none)" first).
    return std::max<int64_t>(1, static_cast<int64_t>(interaction_types.size()));
  }
  return static_cast<int64_t>(found->size());
}

json Manifest::to_json() const {
  json out;
  out["schema_version"] = schema_version;
  out["format"] = format;
  out["dataset"] = dataset;
  out["protocol"] = protocol_name(protocol);
  out["num_users"] = num_users;
  out["num_items"] = num_items;
  out["num_item_groups"] = num_item_groups;
  out["num_stored_steps"] = num_stored_steps;
  out["num_interactions"] = num_interactions;
  out["num_slate_items"] = num_slate_items;
  out["max_steps"] = max_steps;
  out["slate_slots"] = slate_slots;
  out["ids"] = {{"pad", ids.pad},
                {"noclick", ids.no_click},
                {"unknown", ids.unknown},
                {"first_item", ids.first_item}};
  if (protocol == Protocol::kUsers) {
    out["split"] = {
        {"seed", split.seed},
        {"valid_fraction", split.valid_fraction},
        {"test_fraction", split.test_fraction},
        {"t_testsplit", split.t_testsplit},
        {"users",
         {{"train", split.train_users}, {"valid", split.valid_users}, {"test", split.test_users}}}};
  } else {
    out["leave_one_out"] = {
        {"min_events", kLeaveOneOutMinEvents},
        {"users",
         {{"evaluated", leave_one_out.evaluated}, {"train_only", leave_one_out.train_only}}}};
  }
  out["step_datasets"] = step_datasets;
  if (!item_groups.empty()) out["item_groups"] = item_groups;
  if (!interaction_types.empty()) out["interaction_types"] = interaction_types;
  if (!conversion.empty()) out["conversion"] = conversion;
  out["slate_length_histogram"] = slate_length_histogram;
  out["ind2val"] = ind2val;
  json files = json::object();
  for (const auto& file : source.files)
    files[file.name] = {{"bytes", file.bytes}, {"sha256", file.sha256}};
  out["source"] = {{"files", files}};
  if (dataset == "finn") {
    out["source"]["int_dtype"] = source.int_dtype;
    out["source"]["compressed"] = source.compressed;
  }
  json anomaly_json = json::object();
  for (const auto& [kind, count] : anomalies.counts) anomaly_json[kind] = count;
  anomaly_json["examples"] = anomalies.examples;
  out["anomalies"] = anomaly_json;
  out["items_file"] = {
      {"file", items_file.file}, {"bytes", items_file.bytes}, {"crc32", items_file.crc32}};
  json shard_list = json::array();
  for (const auto& shard : shards) {
    shard_list.push_back({{"file", shard.file},
                          {"first_row", shard.first_row},
                          {"users", shard.users},
                          {"steps", shard.steps},
                          {"slate_items", shard.slate_items},
                          {"bytes", shard.bytes},
                          {"crc32", shard.crc32}});
  }
  out["shards"] = shard_list;
  out["created_by"] = created_by;
  if (!conversion_id.empty()) out["conversion_id"] = conversion_id;
  return out;
}

Manifest Manifest::from_json(const json& in, const std::string& where) {
  Manifest manifest;
  manifest.schema_version = required<int>(in, "schema_version", where);
  REQUIRE(manifest.schema_version >= kOldestManifestSchemaVersion &&
              manifest.schema_version <= kManifestSchemaVersion,
          where << ": schema_version " << manifest.schema_version
                << " is not supported (this slatetrain reads " << kOldestManifestSchemaVersion
                << " to " << kManifestSchemaVersion << "); convert the data again");
  manifest.format = required<std::string>(in, "format", where);
  manifest.dataset = required<std::string>(in, "dataset", where);
  if (manifest.schema_version == 1) {
    // Version 1 knew only FINN conversions, evaluated by held-out users.
    REQUIRE(manifest.dataset == "finn",
            where << ": schema_version 1 with dataset '" << manifest.dataset << "'");
    manifest.protocol = Protocol::kUsers;
  } else {
    const std::string protocol = required<std::string>(in, "protocol", where);
    REQUIRE(parse_protocol(protocol, manifest.protocol),
            where << ": protocol '" << protocol << "' is not 'users' or 'leave-one-out'");
  }
  manifest.num_users = required<int64_t>(in, "num_users", where);
  manifest.num_items = required<int64_t>(in, "num_items", where);
  manifest.num_item_groups = required<int64_t>(in, "num_item_groups", where);
  manifest.num_stored_steps = required<int64_t>(in, "num_stored_steps", where);
  manifest.num_interactions = required<int64_t>(in, "num_interactions", where);
  manifest.num_slate_items = required<int64_t>(in, "num_slate_items", where);
  manifest.max_steps = required<int>(in, "max_steps", where);
  manifest.slate_slots = required<int>(in, "slate_slots", where);

  const json& ids = required_object(in, "ids", where);
  const std::string ids_where = where + " ids";
  manifest.ids.pad = required<int64_t>(ids, "pad", ids_where);
  manifest.ids.no_click = required<int64_t>(ids, "noclick", ids_where);
  manifest.ids.unknown = required<int64_t>(ids, "unknown", ids_where);
  manifest.ids.first_item = required<int64_t>(ids, "first_item", ids_where);
  // The loader, the models and the evaluator rely on the convention ids lying below the items.
  REQUIRE(manifest.ids.pad == 0 && manifest.ids.no_click < manifest.ids.first_item &&
              manifest.ids.unknown < manifest.ids.first_item && manifest.ids.first_item > 0 &&
              manifest.ids.first_item <= manifest.num_items,
          where << ": 'ids' must have pad 0 and noclick, unknown below first_item (at most "
                << "num_items " << manifest.num_items << "), not pad " << manifest.ids.pad
                << ", noclick " << manifest.ids.no_click << ", unknown " << manifest.ids.unknown
                << ", first_item " << manifest.ids.first_item);

  if (manifest.protocol == Protocol::kUsers) {
    const json& split = required_object(in, "split", where);
    const std::string split_where = where + " split";
    manifest.split.seed = required<uint64_t>(split, "seed", split_where);
    manifest.split.valid_fraction = required<double>(split, "valid_fraction", split_where);
    manifest.split.test_fraction = required<double>(split, "test_fraction", split_where);
    manifest.split.t_testsplit = required<int>(split, "t_testsplit", split_where);
    const json& users = required_object(split, "users", split_where);
    manifest.split.train_users = required<int64_t>(users, "train", split_where + " users");
    manifest.split.valid_users = required<int64_t>(users, "valid", split_where + " users");
    manifest.split.test_users = required<int64_t>(users, "test", split_where + " users");
  } else {
    const json& block = required_object(in, "leave_one_out", where);
    const std::string block_where = where + " leave_one_out";
    const int min_events = required<int>(block, "min_events", block_where);
    REQUIRE(min_events == kLeaveOneOutMinEvents, block_where << ": min_events " << min_events
                                                             << ", this slatetrain applies "
                                                             << kLeaveOneOutMinEvents);
    const json& users = required_object(block, "users", block_where);
    manifest.leave_one_out.evaluated =
        required<int64_t>(users, "evaluated", block_where + " users");
    manifest.leave_one_out.train_only =
        required<int64_t>(users, "train_only", block_where + " users");
    REQUIRE(
        manifest.leave_one_out.evaluated + manifest.leave_one_out.train_only == manifest.num_users,
        block_where << ": " << manifest.leave_one_out.evaluated << " evaluated and "
                    << manifest.leave_one_out.train_only << " train-only users, num_users is "
                    << manifest.num_users);
    // No split parameters; the counts are the phases' users.
    manifest.split.valid_fraction = 0;
    manifest.split.test_fraction = 0;
    manifest.split.t_testsplit = 0;
    manifest.split.train_users = manifest.num_users;
    manifest.split.valid_users = manifest.leave_one_out.evaluated;
    manifest.split.test_users = manifest.leave_one_out.evaluated;
  }
  if (manifest.schema_version >= 2) {
    manifest.step_datasets = required<std::vector<std::string>>(in, "step_datasets", where);
    for (const std::string& name : manifest.step_datasets)
      REQUIRE(name == "timestamp" || name == "weight",
              where << ": step_datasets names '" << name << "' (known: timestamp, weight)");
    manifest.item_groups = optional_key<std::vector<std::string>>(in, "item_groups", where);
    manifest.interaction_types =
        optional_key<std::vector<std::string>>(in, "interaction_types", where);
    if (in.contains("conversion")) manifest.conversion = required_object(in, "conversion", where);
  }

  manifest.slate_length_histogram =
      required<std::vector<int64_t>>(in, "slate_length_histogram", where);
  manifest.ind2val = required_object(in, "ind2val", where);

  const json& source = required_object(in, "source", where);
  if (manifest.dataset == "finn") {
    manifest.source.int_dtype = required<std::string>(source, "int_dtype", where + " source");
    manifest.source.compressed = required<bool>(source, "compressed", where + " source");
  } else {
    manifest.source.int_dtype.clear();
    manifest.source.compressed = false;
  }
  for (const auto& [name, file] : required_object(source, "files", where + " source").items()) {
    const std::string file_where = where + " source files " + name;
    manifest.source.files.push_back({name, required<int64_t>(file, "bytes", file_where),
                                     required<std::string>(file, "sha256", file_where)});
  }

  for (const auto& [kind, value] : required_object(in, "anomalies", where).items()) {
    if (kind == "examples") {
      manifest.anomalies.examples = value;
    } else {
      REQUIRE(value.is_number_integer(), where << ": anomalies '" << kind << "' is not a count");
      manifest.anomalies.counts[kind] = value.get<int64_t>();
    }
  }

  const json& items = required_object(in, "items_file", where);
  manifest.items_file.file = required<std::string>(items, "file", where + " items_file");
  manifest.items_file.bytes = required<int64_t>(items, "bytes", where + " items_file");
  manifest.items_file.crc32 = required<std::string>(items, "crc32", where + " items_file");

  const auto shards = in.find("shards");
  REQUIRE(shards != in.end() && shards->is_array() && !shards->empty(),
          where << ": 'shards' must be a non-empty list");
  int64_t next_row = 0;
  for (size_t i = 0; i < shards->size(); ++i) {
    const json& shard = (*shards)[i];
    const std::string shard_where = where + " shards[" + std::to_string(i) + "]";
    ShardInfo info;
    info.file = required<std::string>(shard, "file", shard_where);
    info.first_row = required<int64_t>(shard, "first_row", shard_where);
    info.users = required<int64_t>(shard, "users", shard_where);
    info.steps = required<int64_t>(shard, "steps", shard_where);
    info.slate_items = required<int64_t>(shard, "slate_items", shard_where);
    info.bytes = required<int64_t>(shard, "bytes", shard_where);
    info.crc32 = required<std::string>(shard, "crc32", shard_where);
    REQUIRE(info.first_row == next_row, shard_where << ": first_row " << info.first_row
                                                    << " does not follow the previous shard ("
                                                    << next_row << ")");
    next_row += info.users;
    manifest.shards.push_back(info);
  }
  REQUIRE(next_row == manifest.num_users, where << ": the shards hold " << next_row
                                                << " users, num_users is " << manifest.num_users);
  manifest.created_by = optional_key<std::string>(in, "created_by", where);
  // Optional (added without a schema bump, so older slatetrains still read new manifests).
  if (in.contains("conversion_id")) {
    manifest.conversion_id = required<std::string>(in, "conversion_id", where);
    REQUIRE(!manifest.conversion_id.empty(), where << ": 'conversion_id' is empty");
  }
  return manifest;
}

Manifest Manifest::load(const std::string& directory) {
  const std::string path = directory + "/" + kManifestFile;
  std::ifstream file(path);
  REQUIRE(file, path << ": cannot open the manifest (is '" << directory
                     << "' a directory written by slateconvert finn or sessions?)");
  json in;
  try {
    file >> in;
  } catch (const json::exception& error) {
    RAISE(path << ": not valid JSON: " << error.what());
  }
  return from_json(in, path);
}

void Manifest::save(const std::string& path) const {
  std::ofstream file(path, std::ios::trunc);
  REQUIRE(file, path << ": cannot write the manifest");
  file << to_json().dump(2) << "\n";
  file.flush();
  REQUIRE(file, path << ": writing the manifest failed");
}

}  // namespace slatetrain
