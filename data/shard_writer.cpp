#include "data/shard_writer.hpp"

#include <algorithm>
#include <vector>

#include "core/error.hpp"
#include "data/manifest.hpp"
#include "data/shard_hdf5.hpp"

namespace slatetrain {

namespace {

// A growable chunked 1-d dataset that appends arrays at its end.
class AppendableDataset {
 public:
  AppendableDataset() = default;
  AppendableDataset(hid_t file, const std::string& name, hid_t file_type, int64_t chunk,
                    int gzip_level, const std::string& where)
      : where_(where + ": dataset " + name) {
    const hsize_t initial = 0, unlimited = H5S_UNLIMITED;
    Hdf5Handle space(CHECK_HDF5(H5Screate_simple(1, &initial, &unlimited), where_), H5Sclose);
    Hdf5Handle properties(CHECK_HDF5(H5Pcreate(H5P_DATASET_CREATE), where_), H5Pclose);
    const hsize_t chunk_size = static_cast<hsize_t>(chunk);
    CHECK_HDF5(H5Pset_chunk(properties, 1, &chunk_size), where_);
    CHECK_HDF5(H5Pset_obj_track_times(properties, false), where_);
    if (gzip_level > 0) {
      // The byte shuffle puts the (mostly zero) high bytes of the integers together.
      CHECK_HDF5(H5Pset_shuffle(properties), where_);
      CHECK_HDF5(H5Pset_deflate(properties, static_cast<unsigned>(gzip_level)), where_);
    }
    dataset_ = Hdf5Handle(CHECK_HDF5(H5Dcreate2(file, name.c_str(), file_type, space, H5P_DEFAULT,
                                                properties, H5P_DEFAULT),
                                     where_ << ": creating"),
                          H5Dclose);
  }

  template <typename T>
  void append(const T* data, int64_t count) {
    if (count == 0) return;
    const hsize_t start = static_cast<hsize_t>(length_);
    const hsize_t size = static_cast<hsize_t>(count);
    const hsize_t new_length = start + size;
    CHECK_HDF5(H5Dset_extent(dataset_, &new_length), where_ << ": growing to " << new_length);
    Hdf5Handle file_space(CHECK_HDF5(H5Dget_space(dataset_), where_), H5Sclose);
    CHECK_HDF5(H5Sselect_hyperslab(file_space, H5S_SELECT_SET, &start, nullptr, &size, nullptr),
               where_);
    Hdf5Handle memory_space(CHECK_HDF5(H5Screate_simple(1, &size, nullptr), where_), H5Sclose);
    CHECK_HDF5(
        H5Dwrite(dataset_, hdf5::memory_type<T>(), memory_space, file_space, H5P_DEFAULT, data),
        where_ << ": writing elements [" << start << ", " << new_length << ")");
    length_ = static_cast<int64_t>(new_length);
  }
  template <typename T>
  void append(const std::vector<T>& values) {
    append(values.data(), static_cast<int64_t>(values.size()));
  }

  void close() { dataset_.reset(); }

 private:
  std::string where_;
  Hdf5Handle dataset_;
  int64_t length_ = 0;
};

// Chunk sizes (elements): big enough for fast sequential reads and compression, small enough
// that a tiny file does not carry megabytes of empty chunk.
int64_t chunk_elements(int64_t expected, int64_t largest) {
  if (expected <= 0) return largest;
  return std::clamp<int64_t>(expected, 1024, largest);
}

}  // namespace

struct ShardWriter::State {
  std::string path;
  ShardWriterOptions options;
  Hdf5Handle file;
  AppendableDataset row, user_id, split, step_offsets;
  AppendableDataset t, click, click_idx, slate_length, interaction_type, slate_offsets;
  AppendableDataset slate_item;
  AppendableDataset original_id_offsets, original_id_bytes, timestamp, weight;
  int64_t original_id_length = 0;
  int64_t users = 0, steps = 0, slate_items = 0;
  bool closed = false;
  std::vector<int64_t> shifted;  // offsets moved to the file's numbering
};

ShardWriter::ShardWriter(const std::string& path, int shard_index, int shard_count,
                         int64_t first_row, const ShardWriterOptions& options)
    : state_(std::make_unique<State>()) {
  State& s = *state_;
  s.path = path;
  s.options = options;
  silence_hdf5_errors();
  REQUIRE(options.gzip_level >= 0 && options.gzip_level <= 9,
          "gzip level must be 0..9, got " << options.gzip_level);
  const bool sessions = options.layout == ShardLayout::kSessions;
  REQUIRE(sessions || (!options.timestamps && !options.weights),
          path << ": timestamps and weights exist only in the session layout");
  s.file = Hdf5Handle(CHECK_HDF5(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT),
                                 path << ": creating the shard file"),
                      H5Fclose);
  hdf5::write_int64_attribute(s.file, "schema_version",
                              sessions ? kSessionShardSchemaVersion : kSlateShardSchemaVersion,
                              path);
  hdf5::write_int64_attribute(s.file, "shard_index", shard_index, path);
  hdf5::write_int64_attribute(s.file, "shard_count", shard_count, path);
  hdf5::write_int64_attribute(s.file, "first_row", first_row, path);
  if (!options.conversion_id.empty())
    hdf5::write_string_attribute(s.file, "conversion_id", options.conversion_id, path);
  hdf5::create_group(s.file, "users", path);
  hdf5::create_group(s.file, "steps", path);
  if (!sessions) hdf5::create_group(s.file, "slates", path);

  const int64_t users = options.expected_users;
  const int64_t user_chunk = chunk_elements(users > 0 ? users + 1 : 0, 1 << 16);
  const int64_t expected_steps =
      options.expected_steps > 0 ? options.expected_steps : users * options.max_steps;
  const int64_t step_chunk = chunk_elements(expected_steps, 1 << 18);
  const int64_t slate_chunk = chunk_elements(users * options.max_steps * 12, 1 << 18);
  const int gzip = options.gzip_level;
  auto make = [&](const char* name, hid_t type, int64_t chunk) {
    return AppendableDataset(s.file, name, type, chunk, gzip, path);
  };
  s.row = make("/users/row", H5T_STD_I64LE, user_chunk);
  s.user_id = make("/users/user_id", H5T_STD_I64LE, user_chunk);
  s.split = make("/users/split", H5T_STD_U8LE, user_chunk);
  s.step_offsets = make("/users/step_offsets", H5T_STD_I64LE, user_chunk);
  const int64_t zero = 0;
  if (sessions) {
    s.original_id_offsets = make("/users/original_id_offsets", H5T_STD_I64LE, user_chunk);
    s.original_id_bytes = make("/users/original_id_bytes", H5T_STD_U8LE, user_chunk * 8);
    s.click = make("/steps/click", H5T_STD_I32LE, step_chunk);
    s.interaction_type = make("/steps/interaction_type", H5T_STD_U8LE, step_chunk);
    if (options.timestamps) s.timestamp = make("/steps/timestamp", H5T_STD_I64LE, step_chunk);
    if (options.weights) s.weight = make("/steps/weight", H5T_IEEE_F32LE, step_chunk);
    s.step_offsets.append(&zero, 1);
    s.original_id_offsets.append(&zero, 1);
    return;
  }
  s.t = make("/steps/t", H5T_STD_U8LE, step_chunk);
  s.click = make("/steps/click", H5T_STD_I32LE, step_chunk);
  s.click_idx = make("/steps/click_idx", H5T_STD_U8LE, step_chunk);
  s.slate_length = make("/steps/slate_length", H5T_STD_U8LE, step_chunk);
  s.interaction_type = make("/steps/interaction_type", H5T_STD_U8LE, step_chunk);
  s.slate_offsets = make("/steps/slate_offsets", H5T_STD_I64LE, step_chunk);
  s.slate_item = make("/slates/item", H5T_STD_I32LE, slate_chunk);
  s.step_offsets.append(&zero, 1);
  s.slate_offsets.append(&zero, 1);
}

ShardWriter::~ShardWriter() {
  try {
    close();
  } catch (const Error&) {
    // Reported only through close(); a destructor must not throw.
  }
}

void ShardWriter::append(const UserBlock& block) {
  State& s = *state_;
  REQUIRE(!s.closed, s.path << ": append after close");
  if (s.options.layout == ShardLayout::kSessions) return append_sessions(block);
  const int64_t n_users = block.num_users();
  const int64_t n_steps = block.num_steps();
  REQUIRE(static_cast<int64_t>(block.t.size()) == n_steps,
          s.path << ": a slate-layout block needs t for every step");
  REQUIRE(static_cast<int64_t>(block.step_offsets.size()) == n_users + 1 &&
              block.step_offsets.front() == 0 && block.step_offsets.back() == n_steps &&
              static_cast<int64_t>(block.slate_offsets.size()) == n_steps + 1 &&
              block.slate_offsets.front() == 0 &&
              block.slate_offsets.back() == block.num_slate_items(),
          s.path << ": inconsistent user block (offsets do not match the array sizes)");
  s.row.append(block.row);
  s.user_id.append(block.user_id);
  s.split.append(block.split);
  s.shifted.resize(static_cast<size_t>(n_users));
  for (int64_t u = 0; u < n_users; ++u) s.shifted[u] = block.step_offsets[u + 1] + s.steps;
  s.step_offsets.append(s.shifted);

  s.t.append(block.t);
  s.click.append(block.click);
  s.click_idx.append(block.click_idx);
  s.slate_length.append(block.slate_length);
  s.interaction_type.append(block.interaction_type);
  s.shifted.resize(static_cast<size_t>(n_steps));
  for (int64_t i = 0; i < n_steps; ++i) s.shifted[i] = block.slate_offsets[i + 1] + s.slate_items;
  s.slate_offsets.append(s.shifted);
  s.slate_item.append(block.slate_item);

  s.users += n_users;
  s.steps += n_steps;
  s.slate_items += block.num_slate_items();
}

void ShardWriter::append_sessions(const UserBlock& block) {
  State& s = *state_;
  const int64_t n_users = block.num_users();
  const int64_t n_steps = block.num_steps();
  const auto steps = static_cast<size_t>(n_steps);
  REQUIRE(static_cast<int64_t>(block.step_offsets.size()) == n_users + 1 &&
              block.step_offsets.front() == 0 && block.step_offsets.back() == n_steps &&
              block.user_id.size() == block.row.size() && block.split.size() == block.row.size() &&
              block.interaction_type.size() == steps &&
              static_cast<int64_t>(block.original_id_offsets.size()) == n_users + 1 &&
              block.original_id_offsets.front() == 0 &&
              block.original_id_offsets.back() == static_cast<int64_t>(block.original_ids.size()),
          s.path << ": inconsistent session user block (offsets do not match the array sizes)");
  REQUIRE(block.t.empty() && block.click_idx.empty() && block.slate_length.empty() &&
              block.slate_item.empty() && block.slate_offsets.size() == 1,
          s.path << ": a session-layout block has no step positions and no slates");
  REQUIRE((s.options.timestamps ? block.timestamp.size() == steps : block.timestamp.empty()) &&
              (s.options.weights ? block.weight.size() == steps : block.weight.empty()),
          s.path << ": the block's timestamps (" << block.timestamp.size() << ") and weights ("
                 << block.weight.size() << ") do not match the shard's datasets for " << n_steps
                 << " steps");
  s.row.append(block.row);
  s.user_id.append(block.user_id);
  s.split.append(block.split);
  s.shifted.resize(static_cast<size_t>(n_users));
  for (int64_t u = 0; u < n_users; ++u) s.shifted[u] = block.step_offsets[u + 1] + s.steps;
  s.step_offsets.append(s.shifted);
  for (int64_t u = 0; u < n_users; ++u)
    s.shifted[u] = block.original_id_offsets[u + 1] + s.original_id_length;
  s.original_id_offsets.append(s.shifted);
  s.original_id_bytes.append(reinterpret_cast<const uint8_t*>(block.original_ids.data()),
                             static_cast<int64_t>(block.original_ids.size()));
  s.click.append(block.click);
  s.interaction_type.append(block.interaction_type);
  if (s.options.timestamps) s.timestamp.append(block.timestamp);
  if (s.options.weights) s.weight.append(block.weight);
  s.users += n_users;
  s.steps += n_steps;
  s.original_id_length += static_cast<int64_t>(block.original_ids.size());
}

void ShardWriter::close() {
  State& s = *state_;
  if (s.closed) return;
  s.closed = true;
  for (AppendableDataset* dataset :
       {&s.row, &s.user_id, &s.split, &s.step_offsets, &s.t, &s.click, &s.click_idx,
        &s.slate_length, &s.interaction_type, &s.slate_offsets, &s.slate_item,
        &s.original_id_offsets, &s.original_id_bytes, &s.timestamp, &s.weight})
    dataset->close();
  CHECK_HDF5(H5Fflush(s.file, H5F_SCOPE_GLOBAL), s.path << ": flushing");
  const hid_t file = s.file.release();
  CHECK_HDF5(H5Fclose(file), s.path << ": closing");
}

int64_t ShardWriter::users_written() const {
  return state_->users;
}
int64_t ShardWriter::steps_written() const {
  return state_->steps;
}
int64_t ShardWriter::slate_items_written() const {
  return state_->slate_items;
}
const std::string& ShardWriter::path() const {
  return state_->path;
}

}  // namespace slatetrain
