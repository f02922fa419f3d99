// The central directory of a zip file (PKWARE APPNOTE 4.3), with zip64 sizes and offsets.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/zip_input_file.hpp"

namespace slatetrain {

inline constexpr uint16_t kZipStored = 0;
inline constexpr uint16_t kZipDeflated = 8;

struct ZipMember {
  std::string name;
  uint16_t method = kZipStored;
  uint16_t flags = 0;
  uint32_t crc32 = 0;
  uint64_t compressed_size = 0;
  uint64_t uncompressed_size = 0;
  uint64_t local_header_offset = 0;
};

struct ZipDirectory {
  std::vector<ZipMember> members;
  uint64_t directory_offset = 0;  // where the central directory starts (members end before)
};

// Finds the end record (zip64 too) and reads every central directory entry.
ZipDirectory read_zip_directory(const ZipInputFile& file);

// Where a member's data starts: after its local header (whose name and extra lengths may
// differ from the central directory's).
uint64_t zip_member_data_offset(const ZipInputFile& file, const ZipMember& member);

// Little-endian field access shared by the zip reader and writer.
inline uint16_t load_le16(const unsigned char* p) {
  return uint16_t(p[0] | (p[1] << 8));
}
inline uint32_t load_le32(const unsigned char* p) {
  return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}
inline uint64_t load_le64(const unsigned char* p) {
  return uint64_t(load_le32(p)) | uint64_t(load_le32(p + 4)) << 32;
}

}  // namespace slatetrain
