#include "data/shard_reader.hpp"

#include "core/error.hpp"
#include "data/manifest.hpp"
#include "data/shard_hdf5.hpp"

namespace slatetrain {

namespace {

template <typename T>
Hdf5Handle open_typed(hid_t file, const char* name, const std::string& path) {
  Hdf5Handle dataset = hdf5::open_dataset(file, name, path);
  hdf5::require_element_type(dataset, hdf5::file_type<T>(), path + ": dataset " + name);
  return dataset;
}

// Reads [offset, offset + count) of `dataset` into a vector.
template <typename T>
void read_into(hid_t dataset, int64_t offset, int64_t count, std::vector<T>& out,
               const std::string& where) {
  out.resize(static_cast<size_t>(count));
  hdf5::read_range(dataset, offset, count, out.data(), where);
}

}  // namespace

ShardReader::ShardReader(const std::string& path) : path_(path) {
  silence_hdf5_errors();
  file_ = Hdf5Handle(CHECK_HDF5(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT),
                                path << ": opening the shard file"),
                     H5Fclose);
  const int64_t version = hdf5::read_int64_attribute(file_, "schema_version", path);
  REQUIRE(version == kSlateShardSchemaVersion || version == kSessionShardSchemaVersion,
          path << ": shard schema_version " << version << " is not supported (this slatetrain "
               << "reads " << kSlateShardSchemaVersion << ", the slate layout, and "
               << kSessionShardSchemaVersion << ", the session layout); convert the data again");
  schema_version_ = static_cast<int>(version);
  shard_index_ = static_cast<int>(hdf5::read_int64_attribute(file_, "shard_index", path));
  shard_count_ = static_cast<int>(hdf5::read_int64_attribute(file_, "shard_count", path));
  first_row_ = hdf5::read_int64_attribute(file_, "first_row", path);
  conversion_id_ = hdf5::read_optional_string_attribute(file_, "conversion_id", path);

  row_ = open_typed<int64_t>(file_, "/users/row", path);
  user_id_ = open_typed<int64_t>(file_, "/users/user_id", path);
  split_ = open_typed<uint8_t>(file_, "/users/split", path);
  step_offsets_ = open_typed<int64_t>(file_, "/users/step_offsets", path);
  click_ = open_typed<int32_t>(file_, "/steps/click", path);
  interaction_type_ = open_typed<uint8_t>(file_, "/steps/interaction_type", path);
  if (has_slates()) {
    t_ = open_typed<uint8_t>(file_, "/steps/t", path);
    click_idx_ = open_typed<uint8_t>(file_, "/steps/click_idx", path);
    slate_length_ = open_typed<uint8_t>(file_, "/steps/slate_length", path);
    slate_offsets_ = open_typed<int64_t>(file_, "/steps/slate_offsets", path);
    slate_item_ = open_typed<int32_t>(file_, "/slates/item", path);
  } else {
    original_id_offsets_ = open_typed<int64_t>(file_, "/users/original_id_offsets", path);
    original_id_bytes_ = open_typed<uint8_t>(file_, "/users/original_id_bytes", path);
    if (hdf5::has_dataset(file_, "/steps/timestamp"))
      timestamp_ = open_typed<int64_t>(file_, "/steps/timestamp", path);
    if (hdf5::has_dataset(file_, "/steps/weight"))
      weight_ = open_typed<float>(file_, "/steps/weight", path);
  }

  num_users_ = hdf5::dataset_length(row_, path + ": /users/row");
  num_steps_ = hdf5::dataset_length(click_, path + ": /steps/click");
  num_slate_items_ = has_slates() ? hdf5::dataset_length(slate_item_, path + ": /slates/item") : 0;
  auto require_length = [&](hid_t dataset, const char* name, int64_t expected) {
    const int64_t length = hdf5::dataset_length(dataset, path + ": " + name);
    REQUIRE(length == expected, path << ": dataset " << name << " has " << length
                                     << " elements, expected " << expected);
  };
  require_length(user_id_, "/users/user_id", num_users_);
  require_length(split_, "/users/split", num_users_);
  require_length(step_offsets_, "/users/step_offsets", num_users_ + 1);
  require_length(interaction_type_, "/steps/interaction_type", num_steps_);
  if (has_slates()) {
    require_length(t_, "/steps/t", num_steps_);
    require_length(click_idx_, "/steps/click_idx", num_steps_);
    require_length(slate_length_, "/steps/slate_length", num_steps_);
    require_length(slate_offsets_, "/steps/slate_offsets", num_steps_ + 1);
  } else {
    require_length(original_id_offsets_, "/users/original_id_offsets", num_users_ + 1);
    if (has_timestamps()) require_length(timestamp_, "/steps/timestamp", num_steps_);
    if (has_weights()) require_length(weight_, "/steps/weight", num_steps_);
  }

  // The offsets must end where the arrays end.
  int64_t last = 0;
  hdf5::read_range(step_offsets_, num_users_, 1, &last, path + ": /users/step_offsets");
  REQUIRE(last == num_steps_, path << ": /users/step_offsets ends at " << last << ", but "
                                   << num_steps_ << " steps are stored");
  if (has_slates()) {
    hdf5::read_range(slate_offsets_, num_steps_, 1, &last, path + ": /steps/slate_offsets");
    REQUIRE(last == num_slate_items_, path << ": /steps/slate_offsets ends at " << last << ", but "
                                           << num_slate_items_ << " slate items are stored");
  } else {
    hdf5::read_range(original_id_offsets_, num_users_, 1, &last,
                     path + ": /users/original_id_offsets");
    const int64_t bytes =
        hdf5::dataset_length(original_id_bytes_, path + ": /users/original_id_bytes");
    REQUIRE(last == bytes, path << ": /users/original_id_offsets ends at " << last << ", but "
                                << bytes << " bytes of ids are stored");
  }
}

UserBlock ShardReader::read_users(int64_t begin, int64_t end) const {
  REQUIRE(0 <= begin && begin <= end && end <= num_users_, path_ << ": user range [" << begin
                                                                 << ", " << end << ") outside [0, "
                                                                 << num_users_ << ")");
  UserBlock block;
  const int64_t n_users = end - begin;
  read_into(row_, begin, n_users, block.row, path_ + ": /users/row");
  read_into(user_id_, begin, n_users, block.user_id, path_ + ": /users/user_id");
  read_into(split_, begin, n_users, block.split, path_ + ": /users/split");
  read_into(step_offsets_, begin, n_users + 1, block.step_offsets, path_ + ": /users/step_offsets");

  const int64_t first_step = block.step_offsets.front();
  const int64_t n_steps = block.step_offsets.back() - first_step;
  REQUIRE(n_steps >= 0 && first_step >= 0 && first_step + n_steps <= num_steps_,
          path_ << ": /users/step_offsets of users [" << begin << ", " << end
                << ") point outside the steps");
  for (auto& offset : block.step_offsets) offset -= first_step;
  if (!has_slates()) return read_session_steps(begin, end, first_step, n_steps, std::move(block));
  read_into(t_, first_step, n_steps, block.t, path_ + ": /steps/t");
  read_into(click_, first_step, n_steps, block.click, path_ + ": /steps/click");
  read_into(click_idx_, first_step, n_steps, block.click_idx, path_ + ": /steps/click_idx");
  read_into(slate_length_, first_step, n_steps, block.slate_length,
            path_ + ": /steps/slate_length");
  read_into(interaction_type_, first_step, n_steps, block.interaction_type,
            path_ + ": /steps/interaction_type");
  read_into(slate_offsets_, first_step, n_steps + 1, block.slate_offsets,
            path_ + ": /steps/slate_offsets");

  const int64_t first_item = block.slate_offsets.front();
  const int64_t n_items = block.slate_offsets.back() - first_item;
  REQUIRE(n_items >= 0 && first_item >= 0 && first_item + n_items <= num_slate_items_,
          path_ << ": /steps/slate_offsets of users [" << begin << ", " << end
                << ") point outside the slate items");
  for (auto& offset : block.slate_offsets) offset -= first_item;
  read_into(slate_item_, first_item, n_items, block.slate_item, path_ + ": /slates/item");
  return block;
}

UserBlock ShardReader::read_session_steps(int64_t begin, int64_t end, int64_t first_step,
                                          int64_t n_steps, UserBlock block) const {
  const int64_t n_users = end - begin;
  read_into(click_, first_step, n_steps, block.click, path_ + ": /steps/click");
  read_into(interaction_type_, first_step, n_steps, block.interaction_type,
            path_ + ": /steps/interaction_type");
  if (has_timestamps())
    read_into(timestamp_, first_step, n_steps, block.timestamp, path_ + ": /steps/timestamp");
  if (has_weights())
    read_into(weight_, first_step, n_steps, block.weight, path_ + ": /steps/weight");
  read_into(original_id_offsets_, begin, n_users + 1, block.original_id_offsets,
            path_ + ": /users/original_id_offsets");
  const int64_t first_byte = block.original_id_offsets.front();
  const int64_t n_bytes = block.original_id_offsets.back() - first_byte;
  REQUIRE(first_byte >= 0 && n_bytes >= 0, path_ << ": /users/original_id_offsets of users ["
                                                 << begin << ", " << end << ") decrease");
  for (auto& offset : block.original_id_offsets) offset -= first_byte;
  block.original_ids.resize(static_cast<size_t>(n_bytes));
  hdf5::read_range(original_id_bytes_, hdf5::memory_type<uint8_t>(), first_byte, n_bytes,
                   block.original_ids.data(), path_ + ": /users/original_id_bytes");
  return block;
}

std::vector<int64_t> ShardReader::read_step_counts() const {
  std::vector<int64_t> offsets;
  read_into(step_offsets_, 0, num_users_ + 1, offsets, path_ + ": /users/step_offsets");
  std::vector<int64_t> counts(static_cast<size_t>(num_users_));
  for (size_t u = 0; u < counts.size(); ++u) {
    counts[u] = offsets[u + 1] - offsets[u];
    REQUIRE(counts[u] >= 0, path_ << ": /users/step_offsets decrease at user " << u);
  }
  return counts;
}

std::vector<uint8_t> ShardReader::read_splits() const {
  std::vector<uint8_t> split;
  read_into(split_, 0, num_users_, split, path_ + ": /users/split");
  return split;
}

}  // namespace slatetrain
