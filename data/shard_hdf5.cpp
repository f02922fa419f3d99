#include "data/shard_hdf5.hpp"

#include "core/error.hpp"

namespace slatetrain::hdf5 {

Hdf5Handle open_dataset(hid_t file, const std::string& name, const std::string& where) {
  silence_hdf5_errors();
  const htri_t exists = H5Lexists(file, name.c_str(), H5P_DEFAULT);
  // H5Lexists fails (rather than answering 0) when a parent group is missing.
  REQUIRE(exists > 0, where << ": dataset " << name << " is missing");
  return Hdf5Handle(
      CHECK_HDF5(H5Dopen2(file, name.c_str(), H5P_DEFAULT), where << ": opening dataset " << name),
      H5Dclose);
}

bool has_dataset(hid_t file, const std::string& name) {
  silence_hdf5_errors();
  // Each parent must exist before H5Lexists may be asked about the child.
  size_t slash = name.find('/', 1);
  while (slash != std::string::npos) {
    if (H5Lexists(file, name.substr(0, slash).c_str(), H5P_DEFAULT) <= 0) return false;
    slash = name.find('/', slash + 1);
  }
  return H5Lexists(file, name.c_str(), H5P_DEFAULT) > 0;
}

int64_t dataset_length(hid_t dataset, const std::string& where) {
  Hdf5Handle space(CHECK_HDF5(H5Dget_space(dataset), where), H5Sclose);
  const int rank = CHECK_HDF5(H5Sget_simple_extent_ndims(space), where);
  REQUIRE(rank == 1, where << ": expected a 1-d dataset, found " << rank << " dimensions");
  hsize_t length = 0;
  CHECK_HDF5(H5Sget_simple_extent_dims(space, &length, nullptr), where);
  return static_cast<int64_t>(length);
}

void require_element_type(hid_t dataset, hid_t expected, const std::string& where) {
  Hdf5Handle type(CHECK_HDF5(H5Dget_type(dataset), where), H5Tclose);
  const bool same_class = H5Tget_class(type) == H5Tget_class(expected);
  const bool same_size = H5Tget_size(type) == H5Tget_size(expected);
  const bool same_sign =
      H5Tget_class(type) != H5T_INTEGER || H5Tget_sign(type) == H5Tget_sign(expected);
  REQUIRE(same_class && same_size && same_sign,
          where << ": stored element type differs from the one docs/FORMAT.md fixes ("
                << H5Tget_size(type) << " bytes stored, " << H5Tget_size(expected) << " expected)");
}

void read_range(hid_t dataset, hid_t memory_type, int64_t offset, int64_t count, void* out,
                const std::string& where) {
  if (count == 0) return;
  Hdf5Handle file_space(CHECK_HDF5(H5Dget_space(dataset), where), H5Sclose);
  const hsize_t start = static_cast<hsize_t>(offset);
  const hsize_t size = static_cast<hsize_t>(count);
  CHECK_HDF5(H5Sselect_hyperslab(file_space, H5S_SELECT_SET, &start, nullptr, &size, nullptr),
             where << ": selecting [" << offset << ", " << offset + count << ")");
  Hdf5Handle memory_space(CHECK_HDF5(H5Screate_simple(1, &size, nullptr), where), H5Sclose);
  CHECK_HDF5(H5Dread(dataset, memory_type, memory_space, file_space, H5P_DEFAULT, out),
             where << ": reading elements [" << offset << ", " << offset + count << ")");
}

void write_int64_attribute(hid_t object, const char* name, int64_t value,
                           const std::string& where) {
  Hdf5Handle space(CHECK_HDF5(H5Screate(H5S_SCALAR), where), H5Sclose);
  Hdf5Handle attribute(
      CHECK_HDF5(H5Acreate2(object, name, H5T_STD_I64LE, space, H5P_DEFAULT, H5P_DEFAULT),
                 where << ": creating attribute " << name),
      H5Aclose);
  CHECK_HDF5(H5Awrite(attribute, H5T_NATIVE_INT64, &value),
             where << ": writing attribute " << name);
}

int64_t read_int64_attribute(hid_t object, const char* name, const std::string& where) {
  silence_hdf5_errors();
  REQUIRE(H5Aexists(object, name) > 0, where << ": attribute " << name << " is missing");
  Hdf5Handle attribute(
      CHECK_HDF5(H5Aopen(object, name, H5P_DEFAULT), where << ": opening attribute " << name),
      H5Aclose);
  int64_t value = 0;
  CHECK_HDF5(H5Aread(attribute, H5T_NATIVE_INT64, &value), where << ": reading attribute " << name);
  return value;
}

void write_string_attribute(hid_t object, const char* name, const std::string& value,
                            const std::string& where) {
  Hdf5Handle type(CHECK_HDF5(H5Tcopy(H5T_C_S1), where), H5Tclose);
  CHECK_HDF5(H5Tset_size(type, value.empty() ? 1 : value.size()), where);
  CHECK_HDF5(H5Tset_strpad(type, H5T_STR_NULLPAD), where);
  Hdf5Handle space(CHECK_HDF5(H5Screate(H5S_SCALAR), where), H5Sclose);
  Hdf5Handle attribute(CHECK_HDF5(H5Acreate2(object, name, type, space, H5P_DEFAULT, H5P_DEFAULT),
                                  where << ": creating attribute " << name),
                       H5Aclose);
  CHECK_HDF5(H5Awrite(attribute, type, value.data()), where << ": writing attribute " << name);
}

std::string read_optional_string_attribute(hid_t object, const char* name,
                                           const std::string& where) {
  silence_hdf5_errors();
  if (H5Aexists(object, name) <= 0) return "";
  Hdf5Handle attribute(
      CHECK_HDF5(H5Aopen(object, name, H5P_DEFAULT), where << ": opening attribute " << name),
      H5Aclose);
  Hdf5Handle type(CHECK_HDF5(H5Aget_type(attribute), where), H5Tclose);
  REQUIRE(H5Tget_class(type) == H5T_STRING && H5Tis_variable_str(type) == 0,
          where << ": attribute " << name << " is not a fixed-length string");
  const size_t size = H5Tget_size(type);
  REQUIRE(size > 0 && size <= 4096, where << ": attribute " << name << " has " << size << " bytes");
  std::string value(size, '\0');
  CHECK_HDF5(H5Aread(attribute, type, value.data()), where << ": reading attribute " << name);
  value.resize(value.find('\0') == std::string::npos ? size : value.find('\0'));
  return value;
}

void write_dataset(hid_t file, const std::string& name, hid_t file_type, hid_t memory_type,
                   const void* data, int64_t count, const std::string& where) {
  const hsize_t length = static_cast<hsize_t>(count);
  Hdf5Handle space(CHECK_HDF5(H5Screate_simple(1, &length, nullptr), where), H5Sclose);
  Hdf5Handle properties(CHECK_HDF5(H5Pcreate(H5P_DATASET_CREATE), where), H5Pclose);
  CHECK_HDF5(H5Pset_obj_track_times(properties, false), where);
  Hdf5Handle dataset(CHECK_HDF5(H5Dcreate2(file, name.c_str(), file_type, space, H5P_DEFAULT,
                                           properties, H5P_DEFAULT),
                                where << ": creating " << name),
                     H5Dclose);
  if (count > 0) {
    CHECK_HDF5(H5Dwrite(dataset, memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data),
               where << ": writing " << name);
  }
}

Hdf5Handle create_group(hid_t file, const char* name, const std::string& where) {
  Hdf5Handle properties(CHECK_HDF5(H5Pcreate(H5P_GROUP_CREATE), where), H5Pclose);
  CHECK_HDF5(H5Pset_obj_track_times(properties, false), where);
  return Hdf5Handle(CHECK_HDF5(H5Gcreate2(file, name, H5P_DEFAULT, properties, H5P_DEFAULT),
                               where << ": creating group " << name),
                    H5Gclose);
}

}  // namespace slatetrain::hdf5
