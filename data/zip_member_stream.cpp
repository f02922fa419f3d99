#include "data/zip_member_stream.hpp"

#include <zlib.h>

#include <algorithm>
#include <limits>

#include "core/error.hpp"

namespace slatetrain {

namespace {
// Compressed bytes read per pread: large, so the 1.3 GB data.npz takes few system calls.
constexpr size_t kInputBufferBytes = size_t(4) << 20;
}  // namespace

ZipMemberStream::ZipMemberStream(std::shared_ptr<const ZipInputFile> file, const ZipMember& member)
    : file_(std::move(file)) {
  where_ = file_->path() + ": member '" + member.name + "'";
  deflated_ = member.method == kZipDeflated;
  check_crc_ = true;
  expected_crc_ = member.crc32;
  crc_ = static_cast<uint32_t>(crc32_z(0, Z_NULL, 0));
  data_offset_ = zip_member_data_offset(*file_, member);
  compressed_size_ = member.compressed_size;
  uncompressed_size_ = member.uncompressed_size;
  REQUIRE(data_offset_ <= file_->size() && compressed_size_ <= file_->size() - data_offset_,
          where_ << " is truncated: the directory says " << compressed_size_
                 << " bytes from offset " << data_offset_ << " but the file has only "
                 << file_->size() << " bytes");
  REQUIRE(deflated_ || compressed_size_ == uncompressed_size_,
          where_ << ": stored member with compressed size " << compressed_size_
                 << " != uncompressed size " << uncompressed_size_);
  if (deflated_) {
    inflater_ = std::make_unique<z_stream_s>();
    *inflater_ = z_stream_s{};
    REQUIRE(inflateInit2(inflater_.get(), -MAX_WBITS) == Z_OK,
            where_ << ": cannot initialise zlib inflate");
    input_.resize(kInputBufferBytes);
  }
}

ZipMemberStream::ZipMemberStream(std::shared_ptr<const ZipInputFile> file)
    : file_(std::move(file)) {
  where_ = file_->path();
  compressed_size_ = uncompressed_size_ = file_->size();
}

ZipMemberStream::~ZipMemberStream() {
  if (inflater_) inflateEnd(inflater_.get());
}

void ZipMemberStream::read(void* out, size_t bytes, const std::string& what) {
  REQUIRE(position_ + bytes <= uncompressed_size_,
          where_ << " is too short: reading " << what << " needs " << bytes << " bytes at offset "
                 << position_ << " but the member has " << uncompressed_size_ << " bytes");
  auto* destination = static_cast<unsigned char*>(out);
  const size_t got =
      deflated_ ? read_deflated(destination, bytes) : read_stored(destination, bytes);
  REQUIRE(got == bytes, where_ << " is truncated while reading " << what << " (got " << got
                               << " of " << bytes << " bytes at offset " << position_ << ")");
}

size_t ZipMemberStream::read_stored(unsigned char* out, size_t bytes) {
  const size_t got = file_->read_at(data_offset_ + position_, out, bytes);
  if (check_crc_) crc_ = static_cast<uint32_t>(crc32_z(crc_, out, got));
  position_ += got;
  finish_if_complete();
  return got;
}

size_t ZipMemberStream::read_deflated(unsigned char* out, size_t bytes) {
  z_stream_s& z = *inflater_;
  size_t produced = 0;
  while (produced < bytes) {
    if (z.avail_in == 0) {
      const uint64_t left = compressed_size_ - compressed_position_;
      REQUIRE(left > 0, where_ << " is truncated or corrupt: the compressed data ended after "
                               << position_ + produced << " of " << uncompressed_size_ << " bytes");
      const size_t want = static_cast<size_t>(std::min<uint64_t>(left, input_.size()));
      const size_t got = file_->read_at(data_offset_ + compressed_position_, input_.data(), want);
      REQUIRE(got == want, where_ << " is truncated: the file ends at " << file_->size()
                                  << " bytes, inside the member's compressed data");
      compressed_position_ += got;
      z.next_in = input_.data();
      z.avail_in = static_cast<uInt>(got);
    }
    const size_t chunk = std::min<size_t>(bytes - produced, std::numeric_limits<uInt>::max());
    z.next_out = out + produced;
    z.avail_out = static_cast<uInt>(chunk);
    const int status = inflate(&z, Z_NO_FLUSH);
    const size_t made = chunk - z.avail_out;
    crc_ = static_cast<uint32_t>(crc32_z(crc_, out + produced, made));
    produced += made;
    if (status == Z_STREAM_END) {
      REQUIRE(position_ + produced == uncompressed_size_ && produced == bytes,
              where_ << " is corrupt: the deflate stream ends after " << position_ + produced
                     << " bytes but the directory says " << uncompressed_size_);
      break;
    }
    REQUIRE(status == Z_OK || status == Z_BUF_ERROR,
            where_ << " is corrupt: inflate failed at uncompressed offset " << position_ + produced
                   << ": " << (z.msg != nullptr ? z.msg : "zlib error " + std::to_string(status)));
  }
  position_ += produced;
  finish_if_complete();
  return produced;
}

void ZipMemberStream::finish_if_complete() {
  if (!check_crc_ || position_ != uncompressed_size_) return;
  REQUIRE(crc_ == expected_crc_, where_ << " is corrupt: CRC-32 of the data is " << std::hex << crc_
                                        << " but the directory says " << expected_crc_);
  check_crc_ = false;  // checked once
}

}  // namespace slatetrain
