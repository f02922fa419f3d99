// The .npy format (NumPy's format.py): the magic string, the header dict
// ({'descr': '<i4', 'fortran_order': False, 'shape': (3, 20), }) and the dtypes we read and write.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace slatetrain {

enum class NpyDtype { kBool, kInt8, kUInt8, kInt16, kInt32, kInt64, kFloat32, kFloat64 };

// "int32", "float64", ... as numpy names them.
const char* npy_dtype_name(NpyDtype dtype);
// Bytes per element.
size_t npy_dtype_size(NpyDtype dtype);
bool npy_dtype_is_float(NpyDtype dtype);
// The header's descr string for a little-endian dtype: "<i4", "|u1", "<f8", ...
const char* npy_dtype_descr(NpyDtype dtype);

// What a .npy header says.
struct NpyHeader {
  NpyDtype dtype = NpyDtype::kInt32;
  bool fortran_order = false;
  std::vector<int64_t> shape;  // () for a scalar
  int format_version = 1;      // 1, 2 or 3
  size_t header_bytes = 0;     // magic, version, length field and dict: where data begins
};

// The fixed part before the dict: 6 magic bytes, 2 version bytes (the length field follows).
inline constexpr size_t kNpyPreambleBytes = 8;
// Length of the header-length field for a format version (2 for v1, 4 for v2 and v3).
size_t npy_length_field_bytes(int format_version);
// Checks the magic and version of the first kNpyPreambleBytes bytes; returns the version.
// `where` names the file/member in errors.
int parse_npy_preamble(const unsigned char* preamble, const std::string& where);
// Parses the dict text; `where` names the file/member in errors.
NpyHeader parse_npy_header_dict(const std::string& dict, int format_version,
                                const std::string& where);

// The complete header exactly as numpy 1.24 writes it (format.py _write_array_header):
// keys sorted, the shape padded for growth, data 64-byte aligned, version 1 unless the header
// needs version 2.
std::string make_npy_header(NpyDtype dtype, const std::vector<int64_t>& shape);

// Product of the shape (1 for a scalar).
int64_t npy_element_count(const std::vector<int64_t>& shape);

}  // namespace slatetrain
