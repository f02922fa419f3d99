#include "data/checksum.hpp"

#include <openssl/evp.h>

#include <cstdio>
#include <memory>
#include <vector>

#include "core/error.hpp"

namespace slatetrain {

namespace {

constexpr size_t kReadBytes = 4 << 20;

// Calls consume(data, bytes) for the whole file in large reads.
template <typename Consume>
void for_each_chunk(const std::string& path, Consume consume) {
  std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(path.c_str(), "rb"), std::fclose);
  REQUIRE(file != nullptr, path << ": cannot open for checksumming");
  std::vector<unsigned char> buffer(kReadBytes);
  while (true) {
    const size_t got = std::fread(buffer.data(), 1, buffer.size(), file.get());
    if (got > 0) consume(buffer.data(), got);
    if (got < buffer.size()) {
      REQUIRE(!std::ferror(file.get()), path << ": read error while checksumming");
      break;
    }
  }
}

std::string to_hex(const unsigned char* bytes, size_t count) {
  static const char digits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(2 * count);
  for (size_t i = 0; i < count; ++i) {
    hex += digits[bytes[i] >> 4];
    hex += digits[bytes[i] & 15];
  }
  return hex;
}

}  // namespace

std::string sha256_file(const std::string& path) {
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> context(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  REQUIRE(context != nullptr && EVP_DigestInit_ex(context.get(), EVP_sha256(), nullptr) == 1,
          path << ": cannot start SHA-256");
  for_each_chunk(path, [&](const unsigned char* data, size_t bytes) {
    REQUIRE(EVP_DigestUpdate(context.get(), data, bytes) == 1, path << ": SHA-256 update failed");
  });
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_bytes = 0;
  REQUIRE(EVP_DigestFinal_ex(context.get(), digest, &digest_bytes) == 1,
          path << ": SHA-256 final failed");
  return to_hex(digest, digest_bytes);
}

}  // namespace slatetrain
