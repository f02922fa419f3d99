// items.h5 of a session conversion (docs/FORMAT.md, "items.h5"): for every item id (the
// convention ids below first_item included, with empty values) its primary group in
// /items/category (as FINN's items.h5 has), its original id as the source wrote it, the locale
// where the source has one (Amazon-M2), and all its groups (a movie's genres).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace slatetrain {

// Strings stored as one byte array and [n + 1] offsets (string i is bytes[offsets[i] ..
// offsets[i + 1])): compact, and one contiguous read.
struct StringColumn {
  std::vector<int64_t> offsets{0};
  std::string bytes;

  int64_t size() const { return static_cast<int64_t>(offsets.size()) - 1; }
  void push_back(std::string_view value) {
    bytes.append(value);
    offsets.push_back(static_cast<int64_t>(bytes.size()));
  }
  std::string_view operator[](int64_t i) const {
    const auto begin = static_cast<size_t>(offsets[static_cast<size_t>(i)]);
    const auto end = static_cast<size_t>(offsets[static_cast<size_t>(i) + 1]);
    return std::string_view(bytes).substr(begin, end - begin);
  }
};

struct ItemTable {
  // shapes: [num_items]
  std::vector<double> category;  // the item's first group (0: none), as /items/category
  StringColumn original_id;      // [num_items] entries
  StringColumn locale;           // [num_items] entries, or none (size() == 0)
  // shapes: [num_items + 1], [groups of all items]; item i's groups are
  // groups[group_offsets[i] .. group_offsets[i + 1]), in the source's order
  std::vector<int64_t> group_offsets{0};
  std::vector<int32_t> groups;

  int64_t num_items() const { return static_cast<int64_t>(category.size()); }
};

// Writes every dataset of the table (the locale only when it has entries).
void write_item_table(const std::string& path, const ItemTable& table);
// Reads items.h5; a FINN items.h5 (only /items/category) gives empty ids and groups.
ItemTable read_item_table(const std::string& path);

}  // namespace slatetrain
