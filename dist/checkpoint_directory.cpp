#include "dist/checkpoint_directory.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "core/error.hpp"

namespace slatetrain {

namespace fs = std::filesystem;

namespace {

constexpr const char* kPrefix = "checkpoint-";
constexpr const char* kSuffix = ".h5";

void fsync_path(const std::string& path, bool directory) {
  const int descriptor = ::open(path.c_str(), directory ? O_RDONLY | O_DIRECTORY : O_RDONLY);
  REQUIRE(descriptor >= 0, path << ": cannot open to sync: " << std::strerror(errno));
  const int result = ::fsync(descriptor);
  const int saved = errno;
  ::close(descriptor);
  REQUIRE(result == 0, path << ": fsync failed: " << std::strerror(saved));
}

constexpr const char* kBestName = "best.h5";

// The step in "checkpoint-000000001234.h5", or -1 for any other name.
int64_t step_of(const std::string& name) {
  const std::string prefix = kPrefix, suffix = kSuffix;
  if (name.size() <= prefix.size() + suffix.size()) return -1;
  if (name.compare(0, prefix.size(), prefix) != 0) return -1;
  if (name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0) return -1;
  const std::string digits =
      name.substr(prefix.size(), name.size() - prefix.size() - suffix.size());
  if (digits.empty() || !std::all_of(digits.begin(), digits.end(), ::isdigit)) return -1;
  return std::stoll(digits);
}

}  // namespace

CheckpointDirectory::CheckpointDirectory(const std::string& run_directory, int keep)
    : directory_((fs::path(run_directory) / "checkpoints").string()), keep_(std::max(1, keep)) {}

std::string CheckpointDirectory::final_path(int64_t step) const {
  char name[64];
  std::snprintf(name, sizeof name, "%s%012lld%s", kPrefix, static_cast<long long>(step), kSuffix);
  return (fs::path(directory_) / name).string();
}

std::string CheckpointDirectory::temporary_path(int64_t step) const {
  char name[96];
  std::snprintf(name, sizeof name, ".%s%012lld%s.tmp-%ld", kPrefix, static_cast<long long>(step),
                kSuffix, static_cast<long>(::getpid()));
  return (fs::path(directory_) / name).string();
}

std::string CheckpointDirectory::best_path() const {
  return (fs::path(directory_) / kBestName).string();
}

std::string CheckpointDirectory::best_temporary_path() const {
  return (fs::path(directory_) / (std::string(".") + kPrefix + kBestName + ".tmp-" +
                                  std::to_string(static_cast<long>(::getpid()))))
      .string();
}

int64_t CheckpointDirectory::step_of_name(const std::string& path) {
  return step_of(fs::path(path).filename().string());
}

std::vector<std::string> CheckpointDirectory::all_checkpoints() const {
  std::vector<std::string> found;
  std::error_code error;
  if (fs::is_regular_file(best_path(), error)) found.push_back(best_path());
  for (const auto& [step, path] : list()) found.push_back(path);
  return found;
}

void CheckpointDirectory::adopt(const std::string& path) {
  const int64_t step = step_of_name(path);
  if (step >= 0) own_.emplace(step, path);
}

std::vector<std::pair<int64_t, std::string>> CheckpointDirectory::list() const {
  std::vector<std::pair<int64_t, std::string>> found;
  std::error_code error;
  if (!fs::is_directory(directory_, error)) return found;
  for (const auto& entry : fs::directory_iterator(directory_)) {
    const int64_t step = step_of(entry.path().filename().string());
    if (step >= 0 && entry.is_regular_file()) found.emplace_back(step, entry.path().string());
  }
  std::sort(found.begin(), found.end());
  return found;
}

std::optional<std::string> CheckpointDirectory::newest() const {
  const auto found = list();
  if (found.empty()) return std::nullopt;
  return found.back().second;
}

void CheckpointDirectory::prepare() const {
  std::error_code error;
  fs::create_directories(directory_, error);
  REQUIRE(!error, directory_ << ": cannot create the checkpoint directory: " << error.message());
}

std::vector<std::string> CheckpointDirectory::commit(const std::string& temporary,
                                                     const std::string& final, bool rotate) {
  fsync_path(temporary, false);
  REQUIRE(std::rename(temporary.c_str(), final.c_str()) == 0,
          "cannot rename " << temporary << " to " << final << ": " << std::strerror(errno));
  fsync_path(directory_, true);
  std::vector<std::string> removed;
  if (!rotate) return removed;
  adopt(final);
  // Only the run's own: another run's checkpoint here is the user's, not ours to delete.
  while (own_.size() > static_cast<size_t>(keep_)) {
    std::error_code ignored;
    if (fs::remove(own_.begin()->second, ignored)) removed.push_back(own_.begin()->second);
    own_.erase(own_.begin());
  }
  // Temporaries of writers that died (this run's are renamed by now; the run directory's
  // lock keeps any other writer out): half-written files nobody can read, taking space.
  for (const auto& entry : fs::directory_iterator(directory_)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(std::string(".") + kPrefix, 0) == 0 && name.find(".tmp-") != std::string::npos) {
      std::error_code ignored;
      fs::remove(entry.path(), ignored);
    }
  }
  return removed;
}

bool CheckpointDirectory::link_as_best(const std::string& source) const {
  const std::string temporary = best_temporary_path();
  std::error_code error;
  fs::remove(temporary, error);
  fs::create_hard_link(source, temporary, error);
  if (error) return false;
  if (std::rename(temporary.c_str(), best_path().c_str()) != 0) {
    fs::remove(temporary, error);
    return false;
  }
  fsync_path(directory_, true);
  return true;
}

void CheckpointDirectory::discard(const std::string& temporary) const {
  std::error_code ignored;
  fs::remove(temporary, ignored);
}

}  // namespace slatetrain
