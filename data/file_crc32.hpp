// zlib's CRC-32 of a whole file: guards the output files of a conversion (manifest.json records
// one per file) and is checked by the loader, `slateconvert check`, `inspect` and `verify`.
// In slatetrain_shards so that the loader can check shards without the converter's library.
#pragma once

#include <string>

namespace slatetrain {

// zlib CRC-32 of the whole file as 8 lower-case hex digits. Errors name the file.
std::string crc32_file(const std::string& path);

}  // namespace slatetrain
