#include "data/npz_writer.hpp"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <limits>

#include "core/error.hpp"
#include "data/zip_directory.hpp"

namespace slatetrain {

namespace {

// Python's zipfile switches to zip64 fields above this (zipfile.ZIP64_LIMIT).
constexpr uint64_t kZip64Limit = (uint64_t(1) << 31) - 1;
constexpr uint16_t kVersionDefault = 20;
constexpr uint16_t kVersionZip64 = 45;
// 1980-01-01 00:00:00, the zip epoch: fixed so that equal inputs give equal files.
constexpr uint16_t kDosDate = (0 << 9) | (1 << 5) | 1;
constexpr uint16_t kDosTime = 0;
constexpr uint32_t kExternalAttributes = 0600u << 16;  // -rw------- as zipfile writes
constexpr size_t kZip64LocalExtraBytes = 20;
constexpr size_t kBufferBytes = size_t(4) << 20;

void put16(std::vector<unsigned char>& out, uint16_t v) {
  out.push_back(static_cast<unsigned char>(v));
  out.push_back(static_cast<unsigned char>(v >> 8));
}
void put32(std::vector<unsigned char>& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<unsigned char>(v >> (8 * i)));
}
void put64(std::vector<unsigned char>& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<unsigned char>(v >> (8 * i)));
}

// The local header with a zip64 extra field carrying both sizes (numpy's force_zip64).
std::vector<unsigned char> local_header(const std::string& name, uint16_t method, uint32_t crc,
                                        uint64_t compressed, uint64_t uncompressed) {
  const bool large = compressed > kZip64Limit || uncompressed > kZip64Limit;
  std::vector<unsigned char> out;
  put32(out, 0x04034b50);
  put16(out, large ? kVersionZip64 : kVersionDefault);
  put16(out, 0);  // flags
  put16(out, method);
  put16(out, kDosTime);
  put16(out, kDosDate);
  put32(out, crc);
  put32(out, large ? 0xffffffffu : static_cast<uint32_t>(compressed));
  put32(out, large ? 0xffffffffu : static_cast<uint32_t>(uncompressed));
  put16(out, static_cast<uint16_t>(name.size()));
  put16(out, static_cast<uint16_t>(kZip64LocalExtraBytes));
  out.insert(out.end(), name.begin(), name.end());
  put16(out, 0x0001);
  put16(out, 16);
  put64(out, uncompressed);
  put64(out, compressed);
  return out;
}

}  // namespace

NpzWriter::NpzWriter(const std::string& path, bool compress, int level)
    : path_(path), compress_(compress), level_(level) {
  REQUIRE(level >= 0 && level <= 9, path << ": deflate level " << level << " is not in 0..9");
  descriptor_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  REQUIRE(descriptor_ >= 0, path << ": cannot create: " << std::strerror(errno));
  buffer_.reserve(kBufferBytes);
}

NpzWriter::~NpzWriter() {
  if (deflater_) deflateEnd(deflater_.get());
  if (descriptor_ >= 0) ::close(descriptor_);
}

void NpzWriter::flush_buffer() {
  size_t done = 0;
  while (done < buffer_.size()) {
    const ssize_t wrote = ::write(descriptor_, buffer_.data() + done, buffer_.size() - done);
    if (wrote < 0 && errno == EINTR) continue;
    REQUIRE(wrote > 0, path_ << ": write failed: " << std::strerror(errno));
    done += static_cast<size_t>(wrote);
  }
  buffer_.clear();
}

void NpzWriter::append(const void* data, size_t bytes) {
  const auto* bytes_in = static_cast<const unsigned char*>(data);
  if (buffer_.size() + bytes > kBufferBytes) flush_buffer();
  if (bytes >= kBufferBytes) {
    buffer_.assign(bytes_in, bytes_in + bytes);
    flush_buffer();
  } else {
    buffer_.insert(buffer_.end(), bytes_in, bytes_in + bytes);
  }
  file_offset_ += bytes;
}

void NpzWriter::write_at(uint64_t offset, const void* data, size_t bytes) {
  flush_buffer();
  const ssize_t wrote = ::pwrite(descriptor_, data, bytes, static_cast<off_t>(offset));
  REQUIRE(wrote == static_cast<ssize_t>(bytes),
          path_ << ": write failed at offset " << offset << ": " << std::strerror(errno));
}

void NpzWriter::begin_array(const std::string& name, NpyDtype dtype,
                            const std::vector<int64_t>& shape) {
  REQUIRE(!closed_ && !in_array_,
          path_ << ": begin_array('" << name << "') while "
                << (closed_ ? "closed" : "array '" + current_array_ + "' is open"));
  for (const auto& member : members_)
    REQUIRE(member.name != name + ".npy", path_ << ": array '" << name << "' written twice");
  for (const int64_t dimension : shape)
    REQUIRE(dimension >= 0, path_ << ": array '" << name << "' has a negative dimension");
  Member member;
  member.name = name + ".npy";
  member.local_header_offset = file_offset_;
  members_.push_back(member);
  const auto header = local_header(member.name, compress_ ? kZipDeflated : kZipStored, 0, 0, 0);
  append(header.data(), header.size());

  current_array_ = name;
  in_array_ = true;
  expected_data_bytes_ = static_cast<uint64_t>(npy_element_count(shape)) * npy_dtype_size(dtype);
  data_bytes_written_ = 0;
  if (compress_) {
    deflater_ = std::make_unique<z_stream_s>();
    *deflater_ = z_stream_s{};
    REQUIRE(deflateInit2(deflater_.get(), level_, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY) ==
                Z_OK,
            path_ << ": cannot initialise zlib deflate");
    deflate_output_.resize(kBufferBytes);
  }
  const std::string npy_header = make_npy_header(dtype, shape);
  write_member_bytes(npy_header.data(), npy_header.size());
}

void NpzWriter::write(const void* data, size_t bytes) {
  REQUIRE(in_array_, path_ << ": write() outside begin_array/end_array");
  data_bytes_written_ += bytes;
  REQUIRE(data_bytes_written_ <= expected_data_bytes_,
          path_ << ": array '" << current_array_ << "': more data written than its shape holds ("
                << expected_data_bytes_ << " bytes)");
  write_member_bytes(data, bytes);
}

void NpzWriter::write_member_bytes(const void* data, size_t bytes) {
  Member& member = members_.back();
  const auto* bytes_in = static_cast<const unsigned char*>(data);
  member.crc32 = static_cast<uint32_t>(crc32_z(member.crc32, bytes_in, bytes));
  member.uncompressed_size += bytes;
  if (compress_) {
    deflate_into_file(bytes_in, bytes, Z_NO_FLUSH);
  } else {
    append(data, bytes);
    member.compressed_size += bytes;
  }
}

void NpzWriter::deflate_into_file(const unsigned char* data, size_t bytes, int flush) {
  z_stream_s& z = *deflater_;
  Member& member = members_.back();
  size_t offset = 0;
  do {
    const size_t chunk = std::min<size_t>(bytes - offset, std::numeric_limits<uInt>::max());
    z.next_in = const_cast<unsigned char*>(data + offset);
    z.avail_in = static_cast<uInt>(chunk);
    const int chunk_flush = offset + chunk == bytes ? flush : Z_NO_FLUSH;
    int status;
    do {
      z.next_out = deflate_output_.data();
      z.avail_out = static_cast<uInt>(deflate_output_.size());
      status = deflate(&z, chunk_flush);
      REQUIRE(status != Z_STREAM_ERROR, path_ << ": deflate failed in '" << member.name << "'");
      const size_t made = deflate_output_.size() - z.avail_out;
      append(deflate_output_.data(), made);
      member.compressed_size += made;
    } while (z.avail_out == 0 || (chunk_flush == Z_FINISH && status != Z_STREAM_END));
    offset += chunk;
  } while (offset < bytes);
}

void NpzWriter::end_array() {
  REQUIRE(in_array_, path_ << ": end_array() without begin_array()");
  REQUIRE(data_bytes_written_ == expected_data_bytes_,
          path_ << ": array '" << current_array_ << "' got " << data_bytes_written_
                << " bytes of data, its shape needs " << expected_data_bytes_);
  if (compress_) {
    deflate_into_file(nullptr, 0, Z_FINISH);
    deflateEnd(deflater_.get());
    deflater_.reset();
  }
  const Member& member = members_.back();
  const auto header = local_header(member.name, compress_ ? kZipDeflated : kZipStored, member.crc32,
                                   member.compressed_size, member.uncompressed_size);
  write_at(member.local_header_offset, header.data(), header.size());
  in_array_ = false;
}

void NpzWriter::close() {
  REQUIRE(!in_array_, path_ << ": close() while array '" << current_array_ << "' is open");
  if (closed_) return;
  const uint64_t directory_offset = file_offset_;
  const uint16_t method = compress_ ? kZipDeflated : kZipStored;
  for (const Member& member : members_) {
    const bool large_sizes = force_zip64_ || member.compressed_size > kZip64Limit ||
                             member.uncompressed_size > kZip64Limit;
    const bool large_offset = force_zip64_ || member.local_header_offset > kZip64Limit;
    std::vector<unsigned char> extra;
    if (large_sizes || large_offset) {
      put16(extra, 0x0001);
      put16(extra, static_cast<uint16_t>(8 * ((large_sizes ? 2 : 0) + (large_offset ? 1 : 0))));
      if (large_sizes) {
        put64(extra, member.uncompressed_size);
        put64(extra, member.compressed_size);
      }
      if (large_offset) put64(extra, member.local_header_offset);
    }
    const uint16_t version = extra.empty() ? kVersionDefault : kVersionZip64;
    std::vector<unsigned char> entry;
    put32(entry, 0x02014b50);
    put16(entry, static_cast<uint16_t>((3 << 8) | version));  // made by: Unix
    put16(entry, version);
    put16(entry, 0);  // flags
    put16(entry, method);
    put16(entry, kDosTime);
    put16(entry, kDosDate);
    put32(entry, member.crc32);
    put32(entry, large_sizes ? 0xffffffffu : static_cast<uint32_t>(member.compressed_size));
    put32(entry, large_sizes ? 0xffffffffu : static_cast<uint32_t>(member.uncompressed_size));
    put16(entry, static_cast<uint16_t>(member.name.size()));
    put16(entry, static_cast<uint16_t>(extra.size()));
    put16(entry, 0);  // comment
    put16(entry, 0);  // disk
    put16(entry, 0);  // internal attributes
    put32(entry, kExternalAttributes);
    put32(entry, large_offset ? 0xffffffffu : static_cast<uint32_t>(member.local_header_offset));
    entry.insert(entry.end(), member.name.begin(), member.name.end());
    entry.insert(entry.end(), extra.begin(), extra.end());
    append(entry.data(), entry.size());
  }
  const uint64_t directory_bytes = file_offset_ - directory_offset;
  const uint64_t count = members_.size();
  const bool zip64_end = force_zip64_ || count > 0xffff || directory_offset > kZip64Limit ||
                         directory_bytes > kZip64Limit;
  std::vector<unsigned char> end;
  if (zip64_end) {
    const uint64_t zip64_end_offset = file_offset_;
    put32(end, 0x06064b50);
    put64(end, 44);  // size of the rest of this record
    put16(end, kVersionZip64);
    put16(end, kVersionZip64);
    put32(end, 0);
    put32(end, 0);
    put64(end, count);
    put64(end, count);
    put64(end, directory_bytes);
    put64(end, directory_offset);
    put32(end, 0x07064b50);
    put32(end, 0);
    put64(end, zip64_end_offset);
    put32(end, 1);
  }
  put32(end, 0x06054b50);
  put16(end, 0);
  put16(end, 0);
  put16(end, static_cast<uint16_t>(std::min<uint64_t>(count, 0xffff)));
  put16(end, static_cast<uint16_t>(std::min<uint64_t>(count, 0xffff)));
  put32(end, static_cast<uint32_t>(std::min<uint64_t>(directory_bytes, 0xffffffffu)));
  put32(end, static_cast<uint32_t>(std::min<uint64_t>(directory_offset, 0xffffffffu)));
  put16(end, 0);  // comment
  append(end.data(), end.size());
  flush_buffer();
  REQUIRE(::close(descriptor_) == 0, path_ << ": close failed: " << std::strerror(errno));
  descriptor_ = -1;
  closed_ = true;
}

}  // namespace slatetrain
