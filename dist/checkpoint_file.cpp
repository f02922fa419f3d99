#include "dist/checkpoint_file.hpp"

#include <hdf5.h>

#include <algorithm>
#include <cstring>
#include <sstream>

#include "core/error.hpp"
#include "data/hdf5_error.hpp"

namespace slatetrain {

namespace {

constexpr int64_t kSchemaVersion = 2;
constexpr int64_t kOldestReadableSchema = 1;   // without run_id, dataset_id, dataset_path
constexpr hsize_t kDenseChunk = 1 << 16;       // floats
constexpr hsize_t kEmbeddingChunkRows = 4096;  // rows

Hdf5Handle make_group(hid_t parent, const char* name, const std::string& path) {
  return Hdf5Handle(CHECK_HDF5(H5Gcreate2(parent, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                               path << ": creating group " << name),
                    H5Gclose);
}

// A chunked float32 dataset of the given shape with the Fletcher-32 checksum filter.
Hdf5Handle make_float_dataset(hid_t group, const std::string& name, std::vector<hsize_t> shape,
                              std::vector<hsize_t> chunk, const std::string& path) {
  for (size_t i = 0; i < shape.size(); ++i)
    chunk[i] = std::max<hsize_t>(1, std::min(chunk[i], shape[i]));
  Hdf5Handle space(
      CHECK_HDF5(H5Screate_simple(static_cast<int>(shape.size()), shape.data(), nullptr),
                 path << ": dataspace for " << name),
      H5Sclose);
  Hdf5Handle properties(CHECK_HDF5(H5Pcreate(H5P_DATASET_CREATE), path), H5Pclose);
  CHECK_HDF5(H5Pset_obj_track_times(properties, false), path);
  CHECK_HDF5(H5Pset_chunk(properties, static_cast<int>(chunk.size()), chunk.data()), path);
  CHECK_HDF5(H5Pset_fletcher32(properties), path);
  return Hdf5Handle(CHECK_HDF5(H5Dcreate2(group, name.c_str(), H5T_IEEE_F32LE, space, H5P_DEFAULT,
                                          properties, H5P_DEFAULT),
                               path << ": creating dataset " << name),
                    H5Dclose);
}

void write_attribute_int64(hid_t object, const char* name, int64_t value, const std::string& path) {
  Hdf5Handle space(CHECK_HDF5(H5Screate(H5S_SCALAR), path), H5Sclose);
  Hdf5Handle attribute(
      CHECK_HDF5(H5Acreate2(object, name, H5T_STD_I64LE, space, H5P_DEFAULT, H5P_DEFAULT),
                 path << ": attribute " << name),
      H5Aclose);
  CHECK_HDF5(H5Awrite(attribute, H5T_NATIVE_INT64, &value), path << ": attribute " << name);
}

void write_attribute_double(hid_t object, const char* name, double value, const std::string& path) {
  Hdf5Handle space(CHECK_HDF5(H5Screate(H5S_SCALAR), path), H5Sclose);
  Hdf5Handle attribute(
      CHECK_HDF5(H5Acreate2(object, name, H5T_IEEE_F64LE, space, H5P_DEFAULT, H5P_DEFAULT),
                 path << ": attribute " << name),
      H5Aclose);
  CHECK_HDF5(H5Awrite(attribute, H5T_NATIVE_DOUBLE, &value), path << ": attribute " << name);
}

void write_attribute_uint64s(hid_t object, const char* name, const uint64_t* values, hsize_t count,
                             const std::string& path) {
  Hdf5Handle space(CHECK_HDF5(H5Screate_simple(1, &count, nullptr), path), H5Sclose);
  Hdf5Handle attribute(
      CHECK_HDF5(H5Acreate2(object, name, H5T_STD_U64LE, space, H5P_DEFAULT, H5P_DEFAULT),
                 path << ": attribute " << name),
      H5Aclose);
  CHECK_HDF5(H5Awrite(attribute, H5T_NATIVE_UINT64, values), path << ": attribute " << name);
}

void write_attribute_string(hid_t object, const char* name, const std::string& value,
                            const std::string& path) {
  Hdf5Handle type(CHECK_HDF5(H5Tcopy(H5T_C_S1), path), H5Tclose);
  CHECK_HDF5(H5Tset_size(type, std::max<size_t>(1, value.size())), path);
  Hdf5Handle space(CHECK_HDF5(H5Screate(H5S_SCALAR), path), H5Sclose);
  Hdf5Handle attribute(CHECK_HDF5(H5Acreate2(object, name, type, space, H5P_DEFAULT, H5P_DEFAULT),
                                  path << ": attribute " << name),
                       H5Aclose);
  const std::string padded = value.empty() ? std::string(1, '\0') : value;
  CHECK_HDF5(H5Awrite(attribute, type, padded.data()), path << ": attribute " << name);
}

bool has_attribute(hid_t object, const char* name, const std::string& path) {
  return CHECK_HDF5(H5Aexists(object, name), path << ": attribute " << name) > 0;
}

// Opens attribute `name` after checking what a reader is about to copy out of it: `elements`
// values (a scalar or a 1-D list of that length) of the type class `type_class`. A file that says
// otherwise is refused here: H5Aread would write as many values as the file holds.
Hdf5Handle open_attribute(hid_t object, const char* name, H5T_class_t type_class, hssize_t elements,
                          const std::string& path) {
  REQUIRE(has_attribute(object, name, path),
          path << ": not a slatetrain checkpoint (attribute '" << name << "' missing)");
  Hdf5Handle attribute(CHECK_HDF5(H5Aopen(object, name, H5P_DEFAULT), path), H5Aclose);
  Hdf5Handle space(CHECK_HDF5(H5Aget_space(attribute), path << ": attribute " << name), H5Sclose);
  const hssize_t count = CHECK_HDF5(H5Sget_simple_extent_npoints(space), path);
  const int rank = CHECK_HDF5(H5Sget_simple_extent_ndims(space), path);
  Hdf5Handle type(CHECK_HDF5(H5Aget_type(attribute), path << ": attribute " << name), H5Tclose);
  const H5T_class_t found_class = H5Tget_class(type);
  // Integers read as doubles exactly enough; a float read as an integer is not what we wrote.
  const bool numbers_convert = type_class == H5T_FLOAT && found_class == H5T_INTEGER;
  REQUIRE(count == elements && rank <= 1 && (found_class == type_class || numbers_convert),
          path << ": corrupt checkpoint: attribute '" << name << "' holds " << count
               << " value(s) of HDF5 type class " << int(found_class) << ", expected " << elements
               << " of class " << int(type_class));
  return attribute;
}

int64_t read_attribute_int64(hid_t object, const char* name, const std::string& path) {
  const Hdf5Handle attribute = open_attribute(object, name, H5T_INTEGER, 1, path);
  int64_t value = 0;
  CHECK_HDF5(H5Aread(attribute, H5T_NATIVE_INT64, &value), path << ": attribute " << name);
  return value;
}

void read_attribute_uint64s(hid_t object, const char* name, uint64_t* values, hssize_t count,
                            const std::string& path) {
  const Hdf5Handle attribute = open_attribute(object, name, H5T_INTEGER, count, path);
  CHECK_HDF5(H5Aread(attribute, H5T_NATIVE_UINT64, values), path << ": attribute " << name);
}

double read_attribute_double(hid_t object, const char* name, const std::string& path) {
  const Hdf5Handle attribute = open_attribute(object, name, H5T_FLOAT, 1, path);
  double value = 0;
  CHECK_HDF5(H5Aread(attribute, H5T_NATIVE_DOUBLE, &value), path << ": attribute " << name);
  return value;
}

std::string read_attribute_string(hid_t object, const char* name, const std::string& path) {
  const Hdf5Handle attribute = open_attribute(object, name, H5T_STRING, 1, path);
  Hdf5Handle type(CHECK_HDF5(H5Aget_type(attribute), path), H5Tclose);
  // The writer stores a fixed-length string; a variable-length one would be read as a pointer.
  REQUIRE(CHECK_HDF5(H5Tis_variable_str(type), path) == 0,
          path << ": corrupt checkpoint: attribute '" << name
               << "' is a variable-length string, expected a fixed-length one");
  const size_t size = H5Tget_size(type);
  std::string value(size, '\0');
  CHECK_HDF5(H5Aread(attribute, type, value.data()), path << ": attribute " << name);
  value.resize(std::strlen(value.c_str()));
  return value;
}

// The extent of a dataset after checking its rank and that its values are floating point.
std::vector<hsize_t> float_dataset_shape(hid_t dataset, int rank, const std::string& name,
                                         const std::string& path) {
  Hdf5Handle space(CHECK_HDF5(H5Dget_space(dataset), path << ": " << name), H5Sclose);
  Hdf5Handle type(CHECK_HDF5(H5Dget_type(dataset), path << ": " << name), H5Tclose);
  const int found_rank = CHECK_HDF5(H5Sget_simple_extent_ndims(space), path << ": " << name);
  REQUIRE(found_rank == rank && H5Tget_class(type) == H5T_FLOAT,
          path << ": corrupt checkpoint: " << name << " has rank " << found_rank
               << " and HDF5 type class " << int(H5Tget_class(type)) << ", expected rank " << rank
               << " floating point");
  std::vector<hsize_t> shape(static_cast<size_t>(rank));
  CHECK_HDF5(H5Sget_simple_extent_dims(space, shape.data(), nullptr), path << ": " << name);
  return shape;
}

std::vector<std::string> member_names(hid_t group, const std::string& path) {
  H5G_info_t info;
  CHECK_HDF5(H5Gget_info(group, &info), path);
  std::vector<std::string> names;
  for (hsize_t i = 0; i < info.nlinks; ++i) {
    const ssize_t size = CHECK_HDF5(
        H5Lget_name_by_idx(group, ".", H5_INDEX_NAME, H5_ITER_INC, i, nullptr, 0, H5P_DEFAULT),
        path);
    std::string name(static_cast<size_t>(size) + 1, '\0');
    CHECK_HDF5(H5Lget_name_by_idx(group, ".", H5_INDEX_NAME, H5_ITER_INC, i, name.data(),
                                  name.size(), H5P_DEFAULT),
               path);
    name.resize(static_cast<size_t>(size));
    names.push_back(name);
  }
  return names;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
struct CheckpointFileWriter::State {
  std::string path;
  int64_t num_items, dim;
  Hdf5Handle file, dense, embedding;
  std::map<std::string, Hdf5Handle> embedding_datasets;
};

CheckpointFileWriter::CheckpointFileWriter(const std::string& path, int64_t num_items, int64_t dim,
                                           const std::vector<std::string>& embedding_states)
    : state_(std::make_unique<State>()) {
  state_->path = path;
  state_->num_items = num_items;
  state_->dim = dim;
  Hdf5Handle create(CHECK_HDF5(H5Pcreate(H5P_FILE_CREATE), path), H5Pclose);
  CHECK_HDF5(H5Pset_obj_track_times(create, false), path);
  state_->file = Hdf5Handle(CHECK_HDF5(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, create, H5P_DEFAULT),
                                       path << ": cannot create the checkpoint file"),
                            H5Fclose);
  state_->dense = make_group(state_->file, "dense", path);
  state_->embedding = make_group(state_->file, "embedding", path);
  std::vector<std::string> datasets{"rows"};
  datasets.insert(datasets.end(), embedding_states.begin(), embedding_states.end());
  for (const auto& name : datasets) {
    state_->embedding_datasets[name] = make_float_dataset(
        state_->embedding, name, {static_cast<hsize_t>(num_items), static_cast<hsize_t>(dim)},
        {kEmbeddingChunkRows, static_cast<hsize_t>(dim)}, path);
  }
}

CheckpointFileWriter::~CheckpointFileWriter() = default;

void CheckpointFileWriter::write_dense(const std::string& name, const std::vector<float>& values,
                                       const std::string& layout) {
  const auto dataset = make_float_dataset(
      state_->dense, name, {std::max<hsize_t>(1, values.size())}, {kDenseChunk}, state_->path);
  if (!values.empty()) {
    CHECK_HDF5(H5Dwrite(dataset, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()),
               state_->path << ": writing dense/" << name);
  }
  write_attribute_int64(dataset, "size", static_cast<int64_t>(values.size()), state_->path);
  if (!layout.empty()) write_attribute_string(dataset, "layout", layout, state_->path);
}

void CheckpointFileWriter::write_embedding_rows(const std::string& name, int64_t first_item,
                                                int64_t count, const float* rows) {
  const auto found = state_->embedding_datasets.find(name);
  REQUIRE(found != state_->embedding_datasets.end(),
          state_->path << ": no embedding dataset '" << name << "'");
  REQUIRE(first_item >= 0 && count >= 0 && first_item + count <= state_->num_items,
          state_->path << ": rows [" << first_item << ", " << first_item + count
                       << ") outside the table of " << state_->num_items);
  if (count == 0) return;
  Hdf5Handle file_space(CHECK_HDF5(H5Dget_space(found->second), state_->path), H5Sclose);
  const hsize_t start[2] = {static_cast<hsize_t>(first_item), 0};
  const hsize_t size[2] = {static_cast<hsize_t>(count), static_cast<hsize_t>(state_->dim)};
  CHECK_HDF5(H5Sselect_hyperslab(file_space, H5S_SELECT_SET, start, nullptr, size, nullptr),
             state_->path);
  Hdf5Handle memory_space(CHECK_HDF5(H5Screate_simple(2, size, nullptr), state_->path), H5Sclose);
  CHECK_HDF5(H5Dwrite(found->second, H5T_NATIVE_FLOAT, memory_space, file_space, H5P_DEFAULT, rows),
             state_->path << ": writing embedding/" << name);
}

void CheckpointFileWriter::finish(const CheckpointHeader& header) {
  const std::string& path = state_->path;
  hid_t root = state_->file;
  write_attribute_int64(root, "schema_version", kSchemaVersion, path);
  write_attribute_int64(root, "step", header.step, path);
  write_attribute_int64(root, "epoch", header.epoch, path);
  write_attribute_int64(root, "batches_into_epoch", header.batches_into_epoch, path);
  write_attribute_int64(root, "batches_per_epoch", header.batches_per_epoch, path);
  write_attribute_int64(root, "world_size", header.world_size, path);
  write_attribute_uint64s(root, "seed", &header.seed, 1, path);
  write_attribute_uint64s(root, "rng_state", header.rng_state.data(), 4, path);
  write_attribute_string(root, "config", header.config_yaml, path);
  write_attribute_string(root, "run_id", header.run_id, path);
  write_attribute_string(root, "dataset_id", header.dataset_id, path);
  write_attribute_string(root, "dataset_path", header.dataset_path, path);
  write_attribute_int64(state_->dense, "step", header.dense_step, path);
  write_attribute_int64(state_->embedding, "step", header.embedding_step, path);
  write_attribute_int64(state_->embedding, "num_items", state_->num_items, path);
  write_attribute_int64(state_->embedding, "dim", state_->dim, path);
  {
    auto evaluation = make_group(root, "evaluation", path);
    write_attribute_double(evaluation, "best_metric", header.best_metric, path);
    write_attribute_int64(evaluation, "best_step", header.best_step, path);
    write_attribute_int64(evaluation, "validations_without_improvement",
                          header.validations_without_improvement, path);
  }
  // Everything else is on disk before the mark that says the file is whole.
  CHECK_HDF5(H5Fflush(root, H5F_SCOPE_GLOBAL), path);
  write_attribute_int64(root, "complete", 1, path);
  state_->embedding_datasets.clear();
  state_->dense.reset();
  state_->embedding.reset();
  // Closing flushes nothing new (flushed above); the handle closes exactly once.
  state_->file.reset();
}

// ---------------------------------------------------------------------------------------------
struct CheckpointFileReader::State {
  std::string path;
  CheckpointHeader header;
  int64_t num_items = 0, dim = 0;
  Hdf5Handle file, dense, embedding;
};

CheckpointFileReader::CheckpointFileReader(const std::string& path)
    : state_(std::make_unique<State>()) {
  state_->path = path;
  silence_hdf5_errors();
  const htri_t is_hdf5 = H5Fis_hdf5(path.c_str());
  REQUIRE(is_hdf5 > 0, path << ": not a readable checkpoint (not an HDF5 file, or truncated)");
  state_->file = Hdf5Handle(CHECK_HDF5(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT),
                                       path << ": cannot open the checkpoint"),
                            H5Fclose);
  read_header();
}

CheckpointFileReader::CheckpointFileReader(const std::string& name, const void* image, size_t bytes)
    : state_(std::make_unique<State>()) {
  state_->path = name;
  silence_hdf5_errors();
  Hdf5Handle access(CHECK_HDF5(H5Pcreate(H5P_FILE_ACCESS), name), H5Pclose);
  CHECK_HDF5(H5Pset_fapl_core(access, 1 << 16, false), name);
  // HDF5 copies the image; an empty one is refused here rather than by H5Fopen.
  REQUIRE(bytes > 0, name << ": not a readable checkpoint (empty)");
  CHECK_HDF5(H5Pset_file_image(access, const_cast<void*>(image), bytes), name);
  state_->file = Hdf5Handle(CHECK_HDF5(H5Fopen(name.c_str(), H5F_ACC_RDONLY, access),
                                       name << ": cannot open the checkpoint"),
                            H5Fclose);
  read_header();
}

void CheckpointFileReader::read_header() {
  const std::string& path = state_->path;
  hid_t root = state_->file;
  REQUIRE(has_attribute(root, "complete", path),
          path << ": incomplete checkpoint (the write did not finish); refusing it");
  const int64_t version = read_attribute_int64(root, "schema_version", path);
  REQUIRE(version >= kOldestReadableSchema && version <= kSchemaVersion,
          path << ": checkpoint schema version " << version << ", this build reads "
               << kOldestReadableSchema << " to " << kSchemaVersion);
  auto& header = state_->header;
  header.step = read_attribute_int64(root, "step", path);
  header.epoch = read_attribute_int64(root, "epoch", path);
  header.batches_into_epoch = read_attribute_int64(root, "batches_into_epoch", path);
  header.batches_per_epoch = read_attribute_int64(root, "batches_per_epoch", path);
  header.world_size = read_attribute_int64(root, "world_size", path);
  read_attribute_uint64s(root, "seed", &header.seed, 1, path);
  read_attribute_uint64s(root, "rng_state", header.rng_state.data(),
                         static_cast<hssize_t>(header.rng_state.size()), path);
  header.config_yaml = read_attribute_string(root, "config", path);
  if (version >= 2) {
    header.run_id = read_attribute_string(root, "run_id", path);
    header.dataset_id = read_attribute_string(root, "dataset_id", path);
    header.dataset_path = read_attribute_string(root, "dataset_path", path);
  }
  state_->dense = Hdf5Handle(CHECK_HDF5(H5Gopen2(root, "dense", H5P_DEFAULT), path), H5Gclose);
  state_->embedding =
      Hdf5Handle(CHECK_HDF5(H5Gopen2(root, "embedding", H5P_DEFAULT), path), H5Gclose);
  header.dense_step = read_attribute_int64(state_->dense, "step", path);
  header.embedding_step = read_attribute_int64(state_->embedding, "step", path);
  state_->num_items = read_attribute_int64(state_->embedding, "num_items", path);
  state_->dim = read_attribute_int64(state_->embedding, "dim", path);
  REQUIRE(state_->num_items >= 0 && state_->dim >= 1,
          path << ": corrupt checkpoint: embedding table of " << state_->num_items << " x "
               << state_->dim);
  Hdf5Handle evaluation(CHECK_HDF5(H5Gopen2(root, "evaluation", H5P_DEFAULT), path), H5Gclose);
  header.best_metric = read_attribute_double(evaluation, "best_metric", path);
  header.best_step = read_attribute_int64(evaluation, "best_step", path);
  header.validations_without_improvement =
      read_attribute_int64(evaluation, "validations_without_improvement", path);
}

CheckpointFileReader::~CheckpointFileReader() = default;

const CheckpointHeader& CheckpointFileReader::header() const {
  return state_->header;
}
int64_t CheckpointFileReader::num_items() const {
  return state_->num_items;
}
int64_t CheckpointFileReader::dim() const {
  return state_->dim;
}
const std::string& CheckpointFileReader::path() const {
  return state_->path;
}

std::vector<std::string> CheckpointFileReader::dense_names() const {
  return member_names(state_->dense, state_->path);
}

std::vector<std::string> CheckpointFileReader::embedding_states() const {
  auto names = member_names(state_->embedding, state_->path);
  names.erase(std::remove(names.begin(), names.end(), "rows"), names.end());
  return names;
}

int64_t CheckpointFileReader::dense_size(const std::string& name) const {
  const std::string& path = state_->path;
  REQUIRE(CHECK_HDF5(H5Lexists(state_->dense, name.c_str(), H5P_DEFAULT), path) > 0,
          path << ": checkpoint has no dense/" << name);
  Hdf5Handle dataset(CHECK_HDF5(H5Dopen2(state_->dense, name.c_str(), H5P_DEFAULT), path),
                     H5Dclose);
  const int64_t size = read_attribute_int64(dataset, "size", path);
  // The writer stores an empty buffer as one element (HDF5 has no empty chunked dataset).
  const hsize_t extent = float_dataset_shape(dataset, 1, "dense/" + name, path)[0];
  REQUIRE(size >= 0 && (static_cast<hsize_t>(size) == extent || (size == 0 && extent == 1)),
          path << ": corrupt checkpoint: dense/" << name << " has " << extent
               << " values but its size attribute says " << size);
  return size;
}

std::string CheckpointFileReader::dense_layout(const std::string& name) const {
  const std::string& path = state_->path;
  dense_size(name);  // refuses a missing dataset with its name
  Hdf5Handle dataset(CHECK_HDF5(H5Dopen2(state_->dense, name.c_str(), H5P_DEFAULT), path),
                     H5Dclose);
  if (!has_attribute(dataset, "layout", path)) return std::string();
  return read_attribute_string(dataset, "layout", path);
}

std::vector<float> CheckpointFileReader::read_dense(const std::string& name) const {
  const std::string& path = state_->path;
  const int64_t size = dense_size(name);
  Hdf5Handle dataset(CHECK_HDF5(H5Dopen2(state_->dense, name.c_str(), H5P_DEFAULT), path),
                     H5Dclose);
  std::vector<float> values(static_cast<size_t>(size));
  if (size > 0) {
    // A Fletcher-32 mismatch makes this read fail: the corruption is reported, not loaded.
    CHECK_HDF5(H5Dread(dataset, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()),
               path << ": reading dense/" << name << " (corrupted checkpoint?)");
  }
  return values;
}

void CheckpointFileReader::read_embedding_rows(const std::string& name, int64_t first_item,
                                               int64_t count, float* rows) const {
  const std::string& path = state_->path;
  REQUIRE(first_item >= 0 && count >= 0 && count <= state_->num_items - first_item,
          path << ": rows [" << first_item << ", " << first_item + count
               << ") outside the table of " << state_->num_items);
  if (count == 0) return;
  REQUIRE(CHECK_HDF5(H5Lexists(state_->embedding, name.c_str(), H5P_DEFAULT), path) > 0,
          path << ": checkpoint has no embedding/" << name);
  Hdf5Handle dataset(CHECK_HDF5(H5Dopen2(state_->embedding, name.c_str(), H5P_DEFAULT), path),
                     H5Dclose);
  // The rows read are [count, dim] of the caller's buffer: the table must be what it claims.
  const auto shape = float_dataset_shape(dataset, 2, "embedding/" + name, path);
  REQUIRE(shape[0] == static_cast<hsize_t>(state_->num_items) &&
              shape[1] == static_cast<hsize_t>(state_->dim),
          path << ": corrupt checkpoint: embedding/" << name << " is " << shape[0] << " x "
               << shape[1] << " but num_items and dim say " << state_->num_items << " x "
               << state_->dim);
  Hdf5Handle file_space(CHECK_HDF5(H5Dget_space(dataset), path), H5Sclose);
  const hsize_t start[2] = {static_cast<hsize_t>(first_item), 0};
  const hsize_t size[2] = {static_cast<hsize_t>(count), static_cast<hsize_t>(state_->dim)};
  CHECK_HDF5(H5Sselect_hyperslab(file_space, H5S_SELECT_SET, start, nullptr, size, nullptr), path);
  Hdf5Handle memory_space(CHECK_HDF5(H5Screate_simple(2, size, nullptr), path), H5Sclose);
  CHECK_HDF5(H5Dread(dataset, H5T_NATIVE_FLOAT, memory_space, file_space, H5P_DEFAULT, rows),
             path << ": reading embedding/" << name << " (corrupted checkpoint?)");
}

}  // namespace slatetrain
