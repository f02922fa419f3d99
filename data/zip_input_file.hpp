// A read-only file read by offset (pread), so that many streams can share one descriptor.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace slatetrain {

class ZipInputFile {
 public:
  explicit ZipInputFile(const std::string& path);
  ~ZipInputFile();
  ZipInputFile(const ZipInputFile&) = delete;
  ZipInputFile& operator=(const ZipInputFile&) = delete;

  const std::string& path() const { return path_; }
  uint64_t size() const { return size_; }
  // Reads up to `bytes` at `offset`; returns the bytes read (fewer only at the end of file).
  size_t read_at(uint64_t offset, void* out, size_t bytes) const;
  // Reads exactly `bytes` or throws, saying what was being read.
  void read_exactly_at(uint64_t offset, void* out, size_t bytes, const char* what) const;

 private:
  std::string path_;
  int descriptor_ = -1;
  uint64_t size_ = 0;
};

}  // namespace slatetrain
