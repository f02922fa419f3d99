#include "data/shard_integrity.hpp"

#include <filesystem>
#include <mutex>
#include <set>
#include <sstream>
#include <tuple>

#include "core/error.hpp"
#include "data/file_crc32.hpp"
#include "data/shard_reader.hpp"

namespace slatetrain {

namespace fs = std::filesystem;

namespace {

// Files whose CRC-32 this process verified: (path, bytes, modification time, crc).
using VerifiedFile = std::tuple<std::string, int64_t, int64_t, std::string>;

std::mutex& verified_mutex() {
  static std::mutex mutex;
  return mutex;
}
std::set<VerifiedFile>& verified_files() {
  static std::set<VerifiedFile> files;
  return files;
}

}  // namespace

std::string shard_file_problem(const std::string& directory, const Manifest& manifest, size_t index,
                               ShardContentCheck check) {
  const ShardInfo& shard = manifest.shards.at(index);
  const std::string path = manifest.shard_path(directory, index);
  std::error_code error;
  if (!fs::is_regular_file(path, error))
    return path + ": missing (the manifest lists it as shard " + std::to_string(index) + ")";
  const auto bytes = static_cast<int64_t>(fs::file_size(path, error));
  if (error) return path + ": cannot read its size: " + error.message();
  if (bytes != shard.bytes) {
    return path + ": " + std::to_string(bytes) + " bytes, the manifest says " +
           std::to_string(shard.bytes) + " (truncated, replaced or from another conversion)";
  }
  if (check == ShardContentCheck::kSize) return "";
  if (shard.crc32.empty()) return path + ": the manifest records no CRC-32 for it";
  const auto modified =
      static_cast<int64_t>(fs::last_write_time(path, error).time_since_epoch().count());
  const VerifiedFile key{fs::absolute(path, error).lexically_normal().string(), bytes, modified,
                         shard.crc32};
  if (check == ShardContentCheck::kCrcOncePerProcess) {
    std::lock_guard<std::mutex> lock(verified_mutex());
    if (verified_files().count(key) > 0) return "";
  }
  std::string actual;
  try {
    actual = crc32_file(path);
  } catch (const std::exception& failure) {
    return failure.what();
  }
  if (actual != shard.crc32) {
    return path + ": CRC-32 " + actual + ", the manifest says " + shard.crc32 +
           " (the file's bytes changed since the conversion: corrupt or replaced)";
  }
  if (check == ShardContentCheck::kCrcOncePerProcess) {
    std::lock_guard<std::mutex> lock(verified_mutex());
    verified_files().insert(key);
  }
  return "";
}

std::string shard_identity_problem(const ShardReader& reader, const Manifest& manifest,
                                   size_t index) {
  const ShardInfo& shard = manifest.shards.at(index);
  std::ostringstream problem;
  problem << reader.path() << ": ";
  if (!manifest.conversion_id.empty() && reader.conversion_id() != manifest.conversion_id) {
    problem << "written by conversion "
            << (reader.conversion_id().empty() ? std::string("(none recorded)")
                                               : reader.conversion_id())
            << ", but the manifest is conversion " << manifest.conversion_id
            << ": a shard of another conversion was put in this directory";
    return problem.str();
  }
  const auto count = static_cast<int>(manifest.shards.size());
  auto differs = [&](const char* what, int64_t in_file, int64_t in_manifest) {
    problem << what << " " << in_file << ", the manifest says " << in_manifest;
    return problem.str();
  };
  if (reader.shard_index() != static_cast<int>(index) || reader.shard_count() != count) {
    problem << "is shard " << reader.shard_index() << " of " << reader.shard_count()
            << ", the manifest lists it as shard " << index << " of " << count;
    return problem.str();
  }
  if (reader.first_row() != shard.first_row)
    return differs("first_row", reader.first_row(), shard.first_row);
  if (reader.num_users() != shard.users) return differs("users", reader.num_users(), shard.users);
  if (reader.num_steps() != shard.steps) return differs("steps", reader.num_steps(), shard.steps);
  if (reader.num_slate_items() != shard.slate_items)
    return differs("slate items", reader.num_slate_items(), shard.slate_items);
  return "";
}

std::string check_shard(const std::string& directory, const Manifest& manifest, size_t index,
                        ShardContentCheck check) {
  std::string problem = shard_file_problem(directory, manifest, index, check);
  if (!problem.empty()) return problem;
  try {
    const ShardReader reader(manifest.shard_path(directory, index));
    return shard_identity_problem(reader, manifest, index);
  } catch (const std::exception& failure) {
    return failure.what();
  }
}

std::string missing_conversion_id_warning(const std::string& directory, const Manifest& manifest) {
  if (!manifest.conversion_id.empty()) return "";
  return directory + "/" + kManifestFile +
         ": no conversion_id (converted before slatetrain recorded one): a shard swapped in from "
         "another conversion cannot be recognised by its identity; sizes and CRC-32 are still "
         "checked. Convert again to get the check.";
}

}  // namespace slatetrain
