#include "data/file_crc32.hpp"

#include <zlib.h>

#include <cstdio>
#include <memory>
#include <vector>

#include "core/error.hpp"

namespace slatetrain {

std::string crc32_file(const std::string& path) {
  std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(path.c_str(), "rb"), std::fclose);
  REQUIRE(file != nullptr, path << ": cannot open for checksumming");
  std::vector<unsigned char> buffer(4 << 20);
  uLong crc = crc32(0L, Z_NULL, 0);
  while (true) {
    const size_t got = std::fread(buffer.data(), 1, buffer.size(), file.get());
    // zlib takes uInt lengths; the reads are far below 4 GB.
    if (got > 0) crc = crc32(crc, buffer.data(), static_cast<uInt>(got));
    if (got < buffer.size()) {
      REQUIRE(!std::ferror(file.get()), path << ": read error while checksumming");
      break;
    }
  }
  char hex[16];
  std::snprintf(hex, sizeof hex, "%08lx", static_cast<unsigned long>(crc));
  return hex;
}

}  // namespace slatetrain
