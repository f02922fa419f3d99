#include "launch/dataset_identity.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

#include "core/error.hpp"

namespace slatetrain {

namespace {

uint64_t fnv1a(const std::string& text) {
  uint64_t hash = 0xcbf29ce484222325ULL;
  for (const unsigned char c : text) {
    hash ^= c;
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

}  // namespace

std::string dataset_identity(const Manifest& manifest, const std::string& directory) {
  bool checksummed = !manifest.items_file.crc32.empty() && !manifest.shards.empty();
  std::ostringstream canonical;
  canonical << manifest.dataset << '|' << static_cast<int>(manifest.protocol) << '|'
            << manifest.num_users << '|' << manifest.num_items << '|' << manifest.num_interactions
            << '|' << manifest.items_file.crc32;
  for (const auto& shard : manifest.shards) {
    checksummed = checksummed && !shard.crc32.empty();
    canonical << '|' << shard.file << ':' << shard.users << ':' << shard.crc32;
  }
  if (!checksummed) {
    const std::string path = (std::filesystem::path(directory) / kManifestFile).string();
    std::ifstream file(path, std::ios::binary);
    REQUIRE(file, path << ": cannot read it to identify the dataset");
    canonical.str(std::string(std::istreambuf_iterator<char>(file), {}));
  }
  char text[17];
  std::snprintf(text, sizeof text, "%016llx",
                static_cast<unsigned long long>(fnv1a(canonical.str())));
  return text;
}

}  // namespace slatetrain
