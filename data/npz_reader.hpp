// Reading NumPy .npz archives and .npy files in row blocks along axis 0, never a whole array:
// zip members stored or deflated, zip64, .npy format versions 1-3, little-endian C-order data.
//
//   NpzArchive archive("data.npz");
//   auto slate = archive.open("slate");            // [U, 20, 25]
//   std::vector<int32_t> block(1024 * slate->info().row_elements());
//   while (int64_t rows = slate->read_int32(1024, block.data())) { ... }
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "data/npy_format.hpp"

namespace slatetrain {

class ZipInputFile;
class ZipMemberStream;
struct ZipDirectory;

struct NpyArrayInfo {
  std::string name;  // member name without ".npy"
  NpyDtype dtype = NpyDtype::kInt32;
  std::vector<int64_t> shape;    // () for a scalar
  int format_version = 1;        // 1, 2 or 3
  int64_t rows() const;          // shape[0] (1 for a scalar)
  int64_t row_elements() const;  // product of shape[1:]
};

// Streams one array's rows in order.
class NpyRowReader {
 public:
  NpyRowReader(std::unique_ptr<ZipMemberStream> stream, const std::string& name);
  ~NpyRowReader();
  NpyRowReader(const NpyRowReader&) = delete;
  NpyRowReader& operator=(const NpyRowReader&) = delete;

  const NpyArrayInfo& info() const { return info_; }
  int64_t rows_read() const { return rows_read_; }
  // Read the next `count` rows (fewer only at the end); returns rows read. Values converted:
  // integer arrays to int64 (read_int64) or int32 (read_int32, error if a value does not fit);
  // float arrays to double (read_float64; integer arrays convert too). Reading a float array
  // as integers is an error.
  int64_t read_int64(int64_t count, int64_t* out);
  int64_t read_int32(int64_t count, int32_t* out);
  int64_t read_float64(int64_t count, double* out);

 private:
  // Rows actually available of `count`, and the raw bytes they take.
  int64_t clamp_rows(int64_t count) const;
  // Reads `rows` raw rows into `out` (the array's own dtype).
  void read_raw(int64_t rows, void* out);
  template <typename Target>
  int64_t read_converted(int64_t count, Target* out, const char* target_name);

  std::unique_ptr<ZipMemberStream> stream_;
  NpyArrayInfo info_;
  int64_t rows_read_ = 0;
  std::vector<unsigned char> scratch_;  // raw values awaiting conversion
};

class NpzArchive {
 public:
  // Parses the central directory.
  explicit NpzArchive(const std::string& path);
  ~NpzArchive();
  NpzArchive(NpzArchive&&) noexcept;
  NpzArchive& operator=(NpzArchive&&) noexcept;

  const std::string& path() const;
  // Array names in archive order.
  std::vector<std::string> array_names() const;
  bool has_array(const std::string& name) const;
  // Reads just the header.
  NpyArrayInfo info(const std::string& name) const;
  // Many may be open at once; each keeps the file open.
  std::unique_ptr<NpyRowReader> open(const std::string& name) const;
  bool compressed(const std::string& name) const;
  uint64_t file_bytes() const;

 private:
  const struct ZipMember& member(const std::string& name) const;

  std::shared_ptr<const ZipInputFile> file_;
  std::unique_ptr<ZipDirectory> directory_;
};

// A single .npy file.
std::unique_ptr<NpyRowReader> open_npy_file(const std::string& path);

}  // namespace slatetrain
