// Writing .npz archives as numpy.savez / savez_compressed do, streamed: one array at a time,
// its rows written in any number of pieces. Members get .npy v1 headers (v2 when the header
// needs it) byte-identical to numpy's, zip64 extra fields where sizes need them (and always
// in the local header, as numpy's force_zip64 does), CRC-32, and raw deflate when compressed.
//
//   NpzWriter writer("data.npz", /*compress=*/true);
//   writer.begin_array("click", NpyDtype::kInt32, {num_users, 20});
//   writer.write(block.data(), block.size() * sizeof(int32_t));   // repeated
//   writer.end_array();
//   writer.close();
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "data/npy_format.hpp"

struct z_stream_s;

namespace slatetrain {

class NpzWriter {
 public:
  // compress: deflate members (savez_compressed) or store them (savez); level 1..9.
  NpzWriter(const std::string& path, bool compress, int level = 1);
  // Closes the file without finishing it if close() was not called (after an error).
  ~NpzWriter();
  NpzWriter(const NpzWriter&) = delete;
  NpzWriter& operator=(const NpzWriter&) = delete;

  // Writes zip64 records for every member and the end of the archive even when nothing
  // needs them (so small tests exercise the zip64 path). Call before the first array.
  void set_force_zip64(bool force) { force_zip64_ = force; }

  // Starts member "<name>.npy"; its data must then be written in C order.
  void begin_array(const std::string& name, NpyDtype dtype, const std::vector<int64_t>& shape);
  // Appends raw little-endian values of the current array.
  void write(const void* data, size_t bytes);
  // Checks that exactly the array's bytes were written, then completes the member.
  void end_array();
  // Writes the central directory and closes the file.
  void close();

  const std::string& path() const { return path_; }

 private:
  struct Member {
    std::string name;
    uint64_t local_header_offset = 0;
    uint32_t crc32 = 0;
    uint64_t compressed_size = 0;
    uint64_t uncompressed_size = 0;
  };

  void write_member_bytes(const void* data, size_t bytes);
  void deflate_into_file(const unsigned char* data, size_t bytes, int flush);
  void append(const void* data, size_t bytes);
  void flush_buffer();
  void write_at(uint64_t offset, const void* data, size_t bytes);

  std::string path_;
  bool compress_;
  int level_;
  bool force_zip64_ = false;
  int descriptor_ = -1;
  uint64_t file_offset_ = 0;  // bytes written to the file, buffered ones included
  std::vector<unsigned char> buffer_;
  std::vector<unsigned char> deflate_output_;
  std::unique_ptr<z_stream_s> deflater_;
  std::vector<Member> members_;
  bool in_array_ = false;
  bool closed_ = false;
  uint64_t expected_data_bytes_ = 0;
  uint64_t data_bytes_written_ = 0;
  std::string current_array_;
};

}  // namespace slatetrain
