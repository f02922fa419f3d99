#include "launch/dataset_names.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

#include "core/error.hpp"
#include "data/hdf5_error.hpp"
#include "data/shard_hdf5.hpp"

namespace slatetrain {

namespace {

bool is_session_layout(const Manifest& manifest) {
  return manifest.format == "slatetrain-ragged-sessions";
}

// The text of a JSON string or integer (how an id may be written); empty otherwise.
bool id_text(const nlohmann::json& value, std::string& text) {
  if (value.is_string()) {
    text = value.get<std::string>();
    return true;
  }
  if (value.is_number_integer() || value.is_number_unsigned()) {
    text = value.dump();
    return true;
  }
  return false;
}

}  // namespace

ItemNames::ItemNames(const Manifest& manifest, const std::string& directory)
    : manifest_(manifest),
      sessions_(is_session_layout(manifest)),
      table_(read_item_table(manifest.items_path(directory))) {
  REQUIRE(table_.num_items() == manifest.num_items,
          manifest.items_path(directory)
              << ": " << table_.num_items() << " items, the manifest says " << manifest.num_items);
  if (!sessions_) return;
  REQUIRE(table_.original_id.size() == manifest.num_items,
          manifest.items_path(directory) << ": no original item ids (/items/original_id_*)");
  for (int64_t item = manifest.ids.first_item; item < manifest.num_items; ++item) {
    const std::string key(table_.original_id[item]);
    const auto [at, added] = by_original_id_.emplace(key, item);
    if (!added) at->second = -2;
    if (has_locales()) by_original_id_[key + "@" + std::string(table_.locale[item])] = item;
  }
}

nlohmann::json ItemNames::id(int64_t item) const {
  if (!sessions_) return item;
  return std::string(table_.original_id[item]);
}

nlohmann::json ItemNames::group(int64_t item) const {
  const double category = table_.category[static_cast<size_t>(item)];
  if (sessions_) {
    const auto index = static_cast<int64_t>(category);
    if (index <= 0 || index >= static_cast<int64_t>(manifest_.item_groups.size())) return nullptr;
    return manifest_.item_groups[static_cast<size_t>(index)];
  }
  if (category != std::floor(category)) return nullptr;
  const auto names = manifest_.ind2val.find("category");
  if (names == manifest_.ind2val.end() || !names->is_object()) return nullptr;
  const auto name = names->find(std::to_string(static_cast<int64_t>(category)));
  if (name == names->end()) return nullptr;
  return *name;
}

std::string ItemNames::locale(int64_t item) const {
  return has_locales() ? std::string(table_.locale[item]) : std::string();
}

int64_t ItemNames::find(const nlohmann::json& original, std::string& why) const {
  std::string text;
  if (!id_text(original, text)) {
    why = "an item id must be a string or an integer, not " + original.dump();
    return -1;
  }
  if (!sessions_) {
    char* end = nullptr;
    const long long value = std::strtoll(text.c_str(), &end, 10);
    if (text.empty() || *end != '\0') {
      why = "item " + original.dump() + " is not an integer id";
      return -1;
    }
    if (value < manifest_.ids.first_item || value >= manifest_.num_items) {
      why = "item " + original.dump() + " is not an item of the catalogue (ids " +
            std::to_string(manifest_.ids.first_item) + ".." +
            std::to_string(manifest_.num_items - 1) + ")";
      return -1;
    }
    return value;
  }
  const auto found = by_original_id_.find(text);
  if (found == by_original_id_.end()) {
    why = "item " + original.dump() + " is not in the catalogue";
    return -1;
  }
  if (found->second == -2) {
    why = "item " + original.dump() + " names items of several locales: write \"" + text +
          "@LOCALE\"";
    return -1;
  }
  return found->second;
}

// One shard's user ids, read on first use.
struct UserNames::ShardIds {
  std::vector<int64_t> user_id;           // FINN
  std::vector<int64_t> original_offsets;  // sessions
  std::string original_bytes;
};

UserNames::UserNames(const Manifest& manifest, std::string directory)
    : manifest_(manifest), directory_(std::move(directory)) {
  shards_.resize(manifest_.shards.size());
}

UserNames::~UserNames() = default;

nlohmann::json UserNames::id(int64_t row) {
  const auto& shards = manifest_.shards;
  const auto after = std::upper_bound(
      shards.begin(), shards.end(), row,
      [](int64_t value, const ShardInfo& shard) { return value < shard.first_row; });
  REQUIRE(after != shards.begin(), "user row " << row << " is in no shard");
  const auto index = static_cast<size_t>(after - shards.begin() - 1);
  const ShardInfo& shard = shards[index];
  const int64_t local = row - shard.first_row;
  REQUIRE(local < shard.users, "user row " << row << " is in no shard");
  const bool sessions = is_session_layout(manifest_);
  if (!shards_[index]) {
    const std::string path = manifest_.shard_path(directory_, index);
    silence_hdf5_errors();
    Hdf5Handle file(CHECK_HDF5(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT),
                               path << ": opening the shard file"),
                    H5Fclose);
    auto ids = std::make_unique<ShardIds>();
    if (sessions) {
      Hdf5Handle offsets = hdf5::open_dataset(file, "/users/original_id_offsets", path);
      Hdf5Handle bytes = hdf5::open_dataset(file, "/users/original_id_bytes", path);
      ids->original_offsets.resize(static_cast<size_t>(shard.users + 1));
      hdf5::read_range(offsets, 0, shard.users + 1, ids->original_offsets.data(),
                       path + ": /users/original_id_offsets");
      const int64_t count = hdf5::dataset_length(bytes, path + ": /users/original_id_bytes");
      REQUIRE(ids->original_offsets.front() == 0 && ids->original_offsets.back() == count,
              path << ": /users/original_id_offsets do not cover /users/original_id_bytes");
      ids->original_bytes.resize(static_cast<size_t>(count));
      hdf5::read_range(bytes, hdf5::memory_type<uint8_t>(), 0, count, ids->original_bytes.data(),
                       path + ": /users/original_id_bytes");
    } else {
      Hdf5Handle user_id = hdf5::open_dataset(file, "/users/user_id", path);
      ids->user_id.resize(static_cast<size_t>(shard.users));
      hdf5::read_range(user_id, 0, shard.users, ids->user_id.data(), path + ": /users/user_id");
    }
    shards_[index] = std::move(ids);
  }
  const ShardIds& ids = *shards_[index];
  if (!sessions) return ids.user_id[static_cast<size_t>(local)];
  const auto begin = static_cast<size_t>(ids.original_offsets[static_cast<size_t>(local)]);
  const auto end = static_cast<size_t>(ids.original_offsets[static_cast<size_t>(local) + 1]);
  return ids.original_bytes.substr(begin, end - begin);
}

int64_t find_interaction_type(const Manifest& manifest, const nlohmann::json& value,
                              std::string& why) {
  const int64_t count = manifest.interaction_type_count();
  if (value.is_number_integer() || value.is_number_unsigned()) {
    const auto index = value.get<int64_t>();
    if (index >= 0 && index < count) return index;
    why = "interaction type " + value.dump() + " is outside 0.." + std::to_string(count - 1);
    return -1;
  }
  if (value.is_string()) {
    const std::string name = value.get<std::string>();
    const auto names = manifest.ind2val.find("interaction_type");
    if (names != manifest.ind2val.end() && names->is_object()) {
      for (const auto& [key, entry] : names->items()) {
        if (entry.is_string() && entry.get<std::string>() == name) return std::stoll(key);
      }
    }
    const auto& list = manifest.interaction_types;
    const auto found = std::find(list.begin(), list.end(), name);
    if (found != list.end() && found - list.begin() < count) return found - list.begin();
  }
  why = "interaction type " + value.dump() + " is neither an index 0.." +
        std::to_string(count - 1) + " nor the name of one";
  return -1;
}

}  // namespace slatetrain
