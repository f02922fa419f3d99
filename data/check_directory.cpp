#include "data/check_directory.hpp"

#include <algorithm>
#include <filesystem>
#include <sstream>

#include "data/file_crc32.hpp"
#include "data/manifest.hpp"
#include "data/shard_integrity.hpp"
#include "data/shard_reader.hpp"

namespace slatetrain {

namespace {

constexpr int64_t kUsersPerRead = 1 << 16;

// The first id of the shard outside [0, num_items), with its user row and step; "" if none.
std::string scan_ids(const ShardReader& reader, int64_t num_items, CheckReport& report) {
  for (int64_t begin = 0; begin < reader.num_users(); begin += kUsersPerRead) {
    const int64_t end = std::min(reader.num_users(), begin + kUsersPerRead);
    const UserBlock block = reader.read_users(begin, end);
    for (int64_t u = 0; u < block.num_users(); ++u) {
      const auto user = static_cast<size_t>(u);
      for (int64_t i = block.step_offsets[user]; i < block.step_offsets[user + 1]; ++i) {
        const auto step = static_cast<size_t>(i);
        const int64_t stored = i - block.step_offsets[user];
        const int t = block.t.empty() ? static_cast<int>(stored) : block.t[step];
        std::ostringstream where;
        where << reader.path() << ": user row " << block.row[user] << ", step t=" << t
              << " (stored step " << stored << "): ";
        const int32_t click = block.click[step];
        if (click < 0 || click >= num_items) {
          where << "click id " << click << " outside [0, " << num_items
                << "), the manifest's num_items";
          return where.str();
        }
        if (block.t.empty()) continue;  // the session layout has no slates
        for (int64_t j = block.slate_offsets[step]; j < block.slate_offsets[step + 1]; ++j) {
          const int32_t id = block.slate_item[static_cast<size_t>(j)];
          if (id < 0 || id >= num_items) {
            where << "slate position " << j - block.slate_offsets[step] << ": item id " << id
                  << " outside [0, " << num_items << "), the manifest's num_items";
            return where.str();
          }
        }
        report.ids_checked += 1 + block.slate_offsets[step + 1] - block.slate_offsets[step];
      }
    }
    report.users_checked += block.num_users();
    report.steps_checked += block.num_steps();
  }
  return "";
}

void check_items_file(const std::string& directory, const Manifest& manifest, CheckReport& report) {
  const std::string path = manifest.items_path(directory);
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error)) {
    report.problems.push_back(path + ": missing");
    return;
  }
  const auto bytes = static_cast<int64_t>(std::filesystem::file_size(path, error));
  if (bytes != manifest.items_file.bytes) {
    report.problems.push_back(path + ": " + std::to_string(bytes) + " bytes, the manifest says " +
                              std::to_string(manifest.items_file.bytes));
    return;
  }
  try {
    const std::string crc = crc32_file(path);
    if (crc != manifest.items_file.crc32) {
      report.problems.push_back(path + ": CRC-32 " + crc + ", the manifest says " +
                                manifest.items_file.crc32);
    }
  } catch (const std::exception& failure) {
    report.problems.push_back(failure.what());
  }
}

}  // namespace

CheckReport check_converted_directory(const std::string& directory, std::ostream* progress) {
  CheckReport report;
  Manifest manifest;
  try {
    manifest = Manifest::load(directory);
  } catch (const std::exception& failure) {
    report.problems.push_back(failure.what());
    return report;
  }
  const std::string warning = missing_conversion_id_warning(directory, manifest);
  if (!warning.empty()) report.warnings.push_back(warning);
  check_items_file(directory, manifest, report);
  int64_t steps = 0, slate_items = 0;
  for (size_t i = 0; i < manifest.shards.size(); ++i) {
    steps += manifest.shards[i].steps;
    slate_items += manifest.shards[i].slate_items;
    const std::string path = manifest.shard_path(directory, i);
    std::string problem = shard_file_problem(directory, manifest, i, ShardContentCheck::kCrc);
    if (problem.empty()) {
      try {
        const ShardReader reader(path);
        problem = shard_identity_problem(reader, manifest, i);
        if (problem.empty()) problem = scan_ids(reader, manifest.num_items, report);
      } catch (const std::exception& failure) {
        problem = failure.what();
      }
    }
    ++report.shards_checked;
    if (!problem.empty()) report.problems.push_back(problem);
    if (progress != nullptr)
      *progress << "  " << manifest.shards[i].file << (problem.empty() ? "  ok" : "  FAILED")
                << "\n";
  }
  if (steps != manifest.num_stored_steps || slate_items != manifest.num_slate_items) {
    std::ostringstream problem;
    problem << directory << "/" << kManifestFile << ": the shards list " << steps << " steps and "
            << slate_items << " slate items, the totals say " << manifest.num_stored_steps
            << " and " << manifest.num_slate_items;
    report.problems.push_back(problem.str());
  }
  return report;
}

}  // namespace slatetrain
