#include "data/verify_files.hpp"

#include <filesystem>

#include "data/checksum.hpp"
#include "data/shard_integrity.hpp"

namespace slatetrain {

namespace fs = std::filesystem;

namespace {

void check_file(const std::string& directory, const std::string& name, int64_t bytes,
                const std::string& crc32, std::vector<std::string>& problems) {
  const std::string path = directory + "/" + name;
  std::error_code error;
  if (!fs::is_regular_file(path, error)) return problems.push_back(path + ": missing");
  const auto size = static_cast<int64_t>(fs::file_size(path));
  if (size != bytes) {
    return problems.push_back(path + ": " + std::to_string(size) + " bytes, the manifest says " +
                              std::to_string(bytes));
  }
  const std::string actual = crc32_file(path);
  if (actual != crc32)
    problems.push_back(path + ": CRC-32 " + actual + ", the manifest says " + crc32);
}

}  // namespace

void check_output_files(const Manifest& manifest, const std::string& directory,
                        std::vector<std::string>& problems) {
  check_file(directory, manifest.items_file.file, manifest.items_file.bytes,
             manifest.items_file.crc32, problems);
  // Size, CRC-32 and identity (conversion id, index, rows, sizes), as the loader checks them.
  for (size_t i = 0; i < manifest.shards.size(); ++i) {
    const std::string problem = check_shard(directory, manifest, i, ShardContentCheck::kCrc);
    if (!problem.empty()) problems.push_back(problem);
  }
}

void check_source_file(const Manifest& manifest, const std::string& name, const std::string& path,
                       std::vector<std::string>& problems) {
  const SourceFileInfo* recorded = nullptr;
  for (const auto& file : manifest.source.files)
    if (file.name == name) recorded = &file;
  if (recorded == nullptr) {
    problems.push_back(std::string(kManifestFile) + ": no record of source file " + name);
    return;
  }
  const auto bytes = static_cast<int64_t>(fs::file_size(path));
  if (bytes != recorded->bytes) {
    problems.push_back(path + ": " + std::to_string(bytes) + " bytes, the converted source had " +
                       std::to_string(recorded->bytes));
  } else if (sha256_file(path) != recorded->sha256) {
    problems.push_back(path + ": SHA-256 differs from the converted source's " + recorded->sha256);
  }
}

}  // namespace slatetrain
