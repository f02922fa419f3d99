// Where checkpoints live and how they appear: run_dir/checkpoints/checkpoint-<step>.h5,
// written under a temporary name in the same directory, flushed, then renamed (atomic on one
// filesystem), after which only the newest `keep` are kept. Used by rank 0 only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace slatetrain {

class CheckpointDirectory {
 public:
  CheckpointDirectory(const std::string& run_directory, int keep);

  const std::string& path() const { return directory_; }
  // checkpoint-000000001234.h5 and its temporary sibling (named with the pid).
  std::string final_path(int64_t step) const;
  std::string temporary_path(int64_t step) const;

  // Complete checkpoints (by name) with their steps, oldest first.
  std::vector<std::pair<int64_t, std::string>> list() const;
  std::optional<std::string> newest() const;

  // Creates the directory if needed.
  void prepare() const;
  // fsyncs the temporary file, renames it to its final name, fsyncs the directory, and
  // removes all but the newest `keep` checkpoints and any stale temporaries.
  void commit(const std::string& temporary, const std::string& final) const;
  // Removes a temporary file after a failed write.
  void discard(const std::string& temporary) const;

 private:
  std::string directory_;
  int keep_;
};

}  // namespace slatetrain
