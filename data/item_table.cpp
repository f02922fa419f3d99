#include "data/item_table.hpp"

#include "core/error.hpp"
#include "data/shard_hdf5.hpp"

namespace slatetrain {

namespace {

template <typename T>
std::vector<T> read_whole(hid_t file, const char* name, const std::string& path) {
  Hdf5Handle dataset = hdf5::open_dataset(file, name, path);
  hdf5::require_element_type(dataset, hdf5::file_type<T>(), path + ": " + name);
  std::vector<T> values(static_cast<size_t>(hdf5::dataset_length(dataset, path + ": " + name)));
  hdf5::read_range(dataset, 0, static_cast<int64_t>(values.size()), values.data(),
                   path + ": " + name);
  return values;
}

void write_strings(hid_t file, const std::string& name, const StringColumn& column,
                   const std::string& path) {
  hdf5::write_dataset(file, "/items/" + name + "_offsets", column.offsets.data(),
                      static_cast<int64_t>(column.offsets.size()), path);
  hdf5::write_dataset(file, "/items/" + name + "_bytes",
                      reinterpret_cast<const uint8_t*>(column.bytes.data()),
                      static_cast<int64_t>(column.bytes.size()), path);
}

StringColumn read_strings(hid_t file, const std::string& name, int64_t expected,
                          const std::string& path) {
  StringColumn column;
  const std::string offsets_name = "/items/" + name + "_offsets";
  const std::string bytes_name = "/items/" + name + "_bytes";
  column.offsets = read_whole<int64_t>(file, offsets_name.c_str(), path);
  const std::vector<uint8_t> bytes = read_whole<uint8_t>(file, bytes_name.c_str(), path);
  column.bytes.assign(bytes.begin(), bytes.end());
  REQUIRE(static_cast<int64_t>(column.offsets.size()) == expected + 1 &&
              column.offsets.front() == 0 &&
              column.offsets.back() == static_cast<int64_t>(column.bytes.size()),
          path << ": " << offsets_name << " has " << column.offsets.size() << " entries ending at "
               << (column.offsets.empty() ? -1 : column.offsets.back()) << ", expected "
               << expected + 1 << " ending at " << column.bytes.size());
  for (size_t i = 1; i < column.offsets.size(); ++i)
    REQUIRE(column.offsets[i] >= column.offsets[i - 1],
            path << ": " << offsets_name << " decreases at " << i);
  return column;
}

}  // namespace

void write_item_table(const std::string& path, const ItemTable& table) {
  const int64_t items = table.num_items();
  REQUIRE(table.original_id.size() == items &&
              (table.locale.size() == 0 || table.locale.size() == items) &&
              static_cast<int64_t>(table.group_offsets.size()) == items + 1 &&
              table.group_offsets.back() == static_cast<int64_t>(table.groups.size()),
          path << ": item table columns disagree on the number of items (" << items << ")");
  silence_hdf5_errors();
  Hdf5Handle file(CHECK_HDF5(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT),
                             path << ": creating the items file"),
                  H5Fclose);
  hdf5::create_group(file, "items", path);
  hdf5::write_dataset(file, "/items/category", table.category.data(), items, path);
  write_strings(file, "original_id", table.original_id, path);
  if (table.locale.size() > 0) write_strings(file, "locale", table.locale, path);
  hdf5::write_dataset(file, "/items/group_offsets", table.group_offsets.data(), items + 1, path);
  hdf5::write_dataset(file, "/items/group", table.groups.data(),
                      static_cast<int64_t>(table.groups.size()), path);
  const hid_t id = file.release();
  CHECK_HDF5(H5Fclose(id), path << ": closing");
}

ItemTable read_item_table(const std::string& path) {
  silence_hdf5_errors();
  Hdf5Handle file(CHECK_HDF5(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT),
                             path << ": opening the items file"),
                  H5Fclose);
  ItemTable table;
  table.category = read_whole<double>(file, "/items/category", path);
  const int64_t items = table.num_items();
  if (!hdf5::has_dataset(file, "/items/original_id_offsets")) {
    // A FINN items.h5: categories only.
    table.group_offsets.assign(static_cast<size_t>(items + 1), 0);
    table.original_id.offsets.assign(static_cast<size_t>(items + 1), 0);
    return table;
  }
  table.original_id = read_strings(file, "original_id", items, path);
  if (hdf5::has_dataset(file, "/items/locale_offsets"))
    table.locale = read_strings(file, "locale", items, path);
  table.group_offsets = read_whole<int64_t>(file, "/items/group_offsets", path);
  table.groups = read_whole<int32_t>(file, "/items/group", path);
  REQUIRE(static_cast<int64_t>(table.group_offsets.size()) == items + 1 &&
              table.group_offsets.front() == 0 &&
              table.group_offsets.back() == static_cast<int64_t>(table.groups.size()),
          path << ": /items/group_offsets does not match " << items << " items and "
               << table.groups.size() << " groups");
  return table;
}

}  // namespace slatetrain
