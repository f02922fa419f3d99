// The names a converted dataset keeps for its items, users and interaction types, so that
// `slatetrain recommend` and `slatetrain export` speak in the source's ids (docs/FORMAT.md,
// docs/USING_A_MODEL.md):
//   FINN (the slate layout): an item's id is its integer id (the index into itemattr.npz) and
//   its group the ind2val.json "category" name of its category; a user's id is data.npz's
//   userId; interaction types are ind2val.json's "interaction_type" names.
//   Session conversions: the original item and user ids as the source wrote them (strings),
//   the item's first group by name (items.h5, manifest item_groups), its locale where the
//   source has one (Amazon-M2), the manifest's interaction type names.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "data/item_table.hpp"
#include "data/manifest.hpp"

namespace slatetrain {

class ItemNames {
 public:
  // Reads DIRECTORY/items.h5 (the caller holds the HDF5 lock where threads use HDF5).
  ItemNames(const Manifest& manifest, const std::string& directory);

  // The item's id in the source: a number (FINN) or a string (sessions).
  nlohmann::json id(int64_t item) const;
  // The name of the item's (first) group, or null when it has none.
  nlohmann::json group(int64_t item) const;
  // The item's locale ("" when the dataset has none).
  std::string locale(int64_t item) const;
  bool has_locales() const { return table_.locale.size() > 0; }

  // The item id of a source id as a program writes it in JSON (FINN: a number or its decimal
  // text; sessions: the string, or a number for its decimal text; with locales also
  // "ID@LOCALE", needed when ID names items of several locales). Returns -1 and says why in
  // `why` when it names no item of the catalogue.
  int64_t find(const nlohmann::json& original, std::string& why) const;

 private:
  const Manifest& manifest_;
  bool sessions_;
  ItemTable table_;
  std::unordered_map<std::string, int64_t> by_original_id_;  // sessions; -2: ambiguous
};

class UserNames {
 public:
  UserNames(const Manifest& manifest, std::string directory);
  ~UserNames();
  // The id of the user in dataset row `row`: FINN's userId (a number), a session source's
  // original user id (a string). Reads each shard's ids the first time one of its rows is
  // asked for.
  nlohmann::json id(int64_t row);

 private:
  struct ShardIds;
  const Manifest& manifest_;
  std::string directory_;
  std::vector<std::unique_ptr<ShardIds>> shards_;
};

// The interaction type index of a JSON value: an integer index, or the type's name (FINN's
// ind2val.json "interaction_type" names, a session conversion's interaction_types). Returns -1
// and says why in `why` when it is neither.
int64_t find_interaction_type(const Manifest& manifest, const nlohmann::json& value,
                              std::string& why);

}  // namespace slatetrain
