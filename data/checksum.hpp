// File checksums: SHA-256 (OpenSSL EVP) fingerprints the source files in the manifest;
// zlib's CRC-32 guards the output files (cheap enough to check on every verify).
#pragma once

#include <string>

#include "data/file_crc32.hpp"  // crc32_file

namespace slatetrain {

// Lower-case hex SHA-256 of the whole file. Errors name the file.
std::string sha256_file(const std::string& path);

}  // namespace slatetrain
