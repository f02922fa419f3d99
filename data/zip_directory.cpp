#include "data/zip_directory.hpp"

#include <algorithm>

#include "core/error.hpp"

namespace slatetrain {

namespace {

constexpr uint32_t kEndSignature = 0x06054b50;
constexpr uint32_t kZip64EndSignature = 0x06064b50;
constexpr uint32_t kZip64LocatorSignature = 0x07064b50;
constexpr uint32_t kCentralSignature = 0x02014b50;
constexpr uint32_t kLocalSignature = 0x04034b50;
constexpr size_t kEndBytes = 22;
constexpr size_t kZip64LocatorBytes = 20;
constexpr size_t kZip64EndBytes = 56;
constexpr size_t kCentralBytes = 46;
constexpr size_t kLocalBytes = 30;
constexpr size_t kMaxCommentBytes = 0xffff;

// Replaces 0xffffffff fields by the zip64 extra field's 8-byte values, in the spec's order.
void apply_zip64_extra(const unsigned char* extra, size_t extra_bytes, ZipMember& member,
                       bool size_saturated, bool compressed_saturated, bool offset_saturated,
                       const std::string& where) {
  size_t position = 0;
  while (position + 4 <= extra_bytes) {
    const uint16_t id = load_le16(extra + position);
    const uint16_t bytes = load_le16(extra + position + 2);
    REQUIRE(position + 4 + bytes <= extra_bytes, where << ": corrupt extra field in the directory");
    if (id == 0x0001) {
      const unsigned char* field = extra + position + 4;
      size_t used = 0;
      auto take = [&](uint64_t& value) {
        REQUIRE(used + 8 <= bytes, where << ": zip64 extra field too short");
        value = load_le64(field + used);
        used += 8;
      };
      if (size_saturated) take(member.uncompressed_size);
      if (compressed_saturated) take(member.compressed_size);
      if (offset_saturated) take(member.local_header_offset);
      return;
    }
    position += 4 + bytes;
  }
  REQUIRE(!size_saturated && !compressed_saturated && !offset_saturated,
          where << ": sizes need a zip64 extra field but it is missing");
}

}  // namespace

ZipDirectory read_zip_directory(const ZipInputFile& file) {
  const std::string& path = file.path();
  REQUIRE(file.size() >= kEndBytes,
          path << ": not a zip file or truncated (" << file.size() << " bytes)");
  // The end record sits in the last 22 + comment bytes.
  const uint64_t tail_bytes = std::min<uint64_t>(file.size(), kEndBytes + kMaxCommentBytes);
  std::vector<unsigned char> tail(tail_bytes);
  const uint64_t tail_offset = file.size() - tail_bytes;
  file.read_exactly_at(tail_offset, tail.data(), tail.size(), "the end of the zip file");
  int64_t end_position = -1;
  for (int64_t i = static_cast<int64_t>(tail_bytes - kEndBytes); i >= 0; --i) {
    if (load_le32(&tail[i]) == kEndSignature &&
        i + kEndBytes + load_le16(&tail[i + 20]) == tail_bytes) {
      end_position = i;
      break;
    }
  }
  REQUIRE(end_position >= 0, path << ": not a zip file or truncated: no end-of-central-directory "
                                     "record in the last "
                                  << tail_bytes << " bytes");
  const unsigned char* end = &tail[end_position];
  uint64_t entries = load_le16(end + 10);
  uint64_t directory_bytes = load_le32(end + 12);
  uint64_t directory_offset = load_le32(end + 16);
  const uint64_t end_offset = tail_offset + static_cast<uint64_t>(end_position);

  // zip64: a locator just before the end record points at the zip64 end record.
  if (end_offset >= kZip64LocatorBytes) {
    unsigned char locator[kZip64LocatorBytes];
    file.read_exactly_at(end_offset - kZip64LocatorBytes, locator, sizeof locator,
                         "the zip64 locator");
    if (load_le32(locator) == kZip64LocatorSignature) {
      const uint64_t zip64_end_offset = load_le64(locator + 8);
      unsigned char record[kZip64EndBytes];
      REQUIRE(zip64_end_offset <= file.size() && kZip64EndBytes <= file.size() - zip64_end_offset,
              path << ": zip64 end record offset " << zip64_end_offset << " is past the end");
      file.read_exactly_at(zip64_end_offset, record, sizeof record, "the zip64 end record");
      REQUIRE(load_le32(record) == kZip64EndSignature,
              path << ": corrupt zip64 end record at offset " << zip64_end_offset);
      entries = load_le64(record + 32);
      directory_bytes = load_le64(record + 40);
      directory_offset = load_le64(record + 48);
    }
  }
  // Compared without adding: zip64 fields are 64 bits, and a sum that wraps would pass.
  REQUIRE(directory_bytes <= file.size() && directory_offset <= file.size() - directory_bytes,
          path << ": truncated or corrupt: the central directory (" << directory_bytes
               << " bytes at offset " << directory_offset << ") is past the end of the file ("
               << file.size() << " bytes)");

  std::vector<unsigned char> directory(directory_bytes);
  file.read_exactly_at(directory_offset, directory.data(), directory.size(),
                       "the central directory");
  ZipDirectory result;
  result.directory_offset = directory_offset;
  size_t position = 0;
  for (uint64_t i = 0; i < entries; ++i) {
    REQUIRE(position + kCentralBytes <= directory.size() &&
                load_le32(&directory[position]) == kCentralSignature,
            path << ": corrupt central directory at entry " << i);
    const unsigned char* entry = &directory[position];
    ZipMember member;
    member.flags = load_le16(entry + 8);
    member.method = load_le16(entry + 10);
    member.crc32 = load_le32(entry + 16);
    member.compressed_size = load_le32(entry + 20);
    member.uncompressed_size = load_le32(entry + 24);
    const size_t name_bytes = load_le16(entry + 28);
    const size_t extra_bytes = load_le16(entry + 30);
    const size_t comment_bytes = load_le16(entry + 32);
    member.local_header_offset = load_le32(entry + 42);
    REQUIRE(position + kCentralBytes + name_bytes + extra_bytes + comment_bytes <= directory.size(),
            path << ": corrupt central directory at entry " << i);
    member.name.assign(reinterpret_cast<const char*>(entry + kCentralBytes), name_bytes);
    const std::string where = path + ": member '" + member.name + "'";
    apply_zip64_extra(entry + kCentralBytes + name_bytes, extra_bytes, member,
                      member.uncompressed_size == 0xffffffffu,
                      member.compressed_size == 0xffffffffu,
                      member.local_header_offset == 0xffffffffu, where);
    REQUIRE(member.method == kZipStored || member.method == kZipDeflated,
            where << ": unsupported compression method " << member.method
                  << " (stored and deflated are supported)");
    REQUIRE((member.flags & 1) == 0, where << ": encrypted members are not supported");
    result.members.push_back(std::move(member));
    position += kCentralBytes + name_bytes + extra_bytes + comment_bytes;
  }
  return result;
}

uint64_t zip_member_data_offset(const ZipInputFile& file, const ZipMember& member) {
  unsigned char header[kLocalBytes];
  const size_t got = file.read_at(member.local_header_offset, header, sizeof header);
  REQUIRE(got == sizeof header,
          file.path() << ": member '" << member.name
                      << "' is truncated: its local header at offset " << member.local_header_offset
                      << " is past the end of the file (" << file.size() << " bytes)");
  REQUIRE(load_le32(header) == kLocalSignature, file.path() << ": member '" << member.name
                                                            << "': corrupt local header at offset "
                                                            << member.local_header_offset);
  return member.local_header_offset + kLocalBytes + load_le16(header + 26) + load_le16(header + 28);
}

}  // namespace slatetrain
