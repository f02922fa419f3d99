// The bytes of one zip member (stored or raw-deflated), in order, with its CRC-32 checked
// once the member has been read to its end. Also serves a plain file region (a .npy file).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "data/zip_directory.hpp"
#include "data/zip_input_file.hpp"

struct z_stream_s;

namespace slatetrain {

class ZipMemberStream {
 public:
  // A zip member; errors name the file and the member.
  ZipMemberStream(std::shared_ptr<const ZipInputFile> file, const ZipMember& member);
  // A whole file read as is (no CRC to check).
  explicit ZipMemberStream(std::shared_ptr<const ZipInputFile> file);
  ~ZipMemberStream();
  ZipMemberStream(const ZipMemberStream&) = delete;
  ZipMemberStream& operator=(const ZipMemberStream&) = delete;

  // Reads exactly `bytes` into `out`; running out first is a truncation error. `what` says
  // what was being read ("the .npy header", "rows 0..99").
  void read(void* out, size_t bytes, const std::string& what);
  uint64_t position() const { return position_; }
  uint64_t size() const { return uncompressed_size_; }
  // "file.npz: member 'slate.npy'" or "file.npy".
  const std::string& where() const { return where_; }

 private:
  size_t read_stored(unsigned char* out, size_t bytes);
  size_t read_deflated(unsigned char* out, size_t bytes);
  void finish_if_complete();

  std::shared_ptr<const ZipInputFile> file_;
  std::string where_;
  bool deflated_ = false;
  bool check_crc_ = false;
  uint32_t expected_crc_ = 0;
  uint32_t crc_ = 0;
  uint64_t data_offset_ = 0;
  uint64_t compressed_size_ = 0;
  uint64_t uncompressed_size_ = 0;
  uint64_t position_ = 0;             // uncompressed bytes delivered
  uint64_t compressed_position_ = 0;  // compressed bytes fed to inflate
  std::unique_ptr<z_stream_s> inflater_;
  std::vector<unsigned char> input_;  // compressed bytes not yet inflated
};

}  // namespace slatetrain
