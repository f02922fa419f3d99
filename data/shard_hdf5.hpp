// Small typed helpers over the HDF5 C API shared by the shard writer and reader: the HDF5
// type of each C++ element type, 1-d range reads, scalar attributes. Every failure names the
// file and the dataset or attribute.
#pragma once

#include <cstdint>
#include <string>
#include <type_traits>

#include "data/hdf5_error.hpp"

namespace slatetrain::hdf5 {

// The in-memory type of T, and the little-endian type stored in files.
template <typename T>
hid_t memory_type() {
  if constexpr (std::is_same_v<T, uint8_t>) return H5T_NATIVE_UINT8;
  if constexpr (std::is_same_v<T, int32_t>) return H5T_NATIVE_INT32;
  if constexpr (std::is_same_v<T, int64_t>) return H5T_NATIVE_INT64;
  if constexpr (std::is_same_v<T, float>) return H5T_NATIVE_FLOAT;
  if constexpr (std::is_same_v<T, double>) return H5T_NATIVE_DOUBLE;
}
template <typename T>
hid_t file_type() {
  if constexpr (std::is_same_v<T, uint8_t>) return H5T_STD_U8LE;
  if constexpr (std::is_same_v<T, int32_t>) return H5T_STD_I32LE;
  if constexpr (std::is_same_v<T, int64_t>) return H5T_STD_I64LE;
  if constexpr (std::is_same_v<T, float>) return H5T_IEEE_F32LE;
  if constexpr (std::is_same_v<T, double>) return H5T_IEEE_F64LE;
}

// Opens dataset `name` of `file`; `where` names the file in errors.
Hdf5Handle open_dataset(hid_t file, const std::string& name, const std::string& where);
// Whether `file` has a link `name` (parents checked first, so a missing group answers false).
bool has_dataset(hid_t file, const std::string& name);
// Length of a 1-d dataset.
int64_t dataset_length(hid_t dataset, const std::string& where);
// Checks that the dataset's stored element type has the class and size of T.
void require_element_type(hid_t dataset, hid_t expected, const std::string& where);

// Reads elements [offset, offset + count) of a 1-d dataset into `out`.
void read_range(hid_t dataset, hid_t memory_type, int64_t offset, int64_t count, void* out,
                const std::string& where);
template <typename T>
void read_range(hid_t dataset, int64_t offset, int64_t count, T* out, const std::string& where) {
  read_range(dataset, memory_type<T>(), offset, count, out, where);
}

void write_int64_attribute(hid_t object, const char* name, int64_t value, const std::string& where);
int64_t read_int64_attribute(hid_t object, const char* name, const std::string& where);
// A scalar fixed-length ASCII string attribute.
void write_string_attribute(hid_t object, const char* name, const std::string& value,
                            const std::string& where);
// The string attribute `name`, or "" when the object has none.
std::string read_optional_string_attribute(hid_t object, const char* name,
                                           const std::string& where);

// A whole 1-d dataset written at once (contiguous), object times off.
void write_dataset(hid_t file, const std::string& name, hid_t file_type, hid_t memory_type,
                   const void* data, int64_t count, const std::string& where);
template <typename T>
void write_dataset(hid_t file, const std::string& name, const T* data, int64_t count,
                   const std::string& where) {
  write_dataset(file, name, file_type<T>(), memory_type<T>(), static_cast<const void*>(data), count,
                where);
}

// A group created with object modification times off (reproducible files).
Hdf5Handle create_group(hid_t file, const char* name, const std::string& where);

}  // namespace slatetrain::hdf5
