// Where checkpoints live and how they appear: run_dir/checkpoints/checkpoint-<step>.h5,
// written under a temporary name in the same directory, flushed, then renamed (atomic on one
// filesystem), after which only the newest `keep` of the run's own are kept; best.h5 (the best
// validation's state) beside them is never rotated. The rotation removes only files this run
// owns: the ones it wrote and the ones it adopted when it resumed (docs/RUN_DIRECTORY.md).
// Used by rank 0 only.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
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
  // checkpoints/best.h5 and its temporary sibling.
  std::string best_path() const;
  std::string best_temporary_path() const;
  // The step a checkpoint's file name says (checkpoint-000000001234.h5), or -1 for another name.
  static int64_t step_of_name(const std::string& path);

  // Complete checkpoints (by name) with their steps, oldest first.
  std::vector<std::pair<int64_t, std::string>> list() const;
  std::optional<std::string> newest() const;
  // Every checkpoint in the directory (best.h5 first, then the rotated ones, oldest first):
  // what a fresh run must not mix with its own.
  std::vector<std::string> all_checkpoints() const;

  // Counts `path` as one of this run's checkpoints (a resumed run's earlier ones).
  void adopt(const std::string& path);

  // Creates the directory if needed.
  void prepare() const;
  // fsyncs the temporary file, renames it to its final name, fsyncs the directory; with
  // `rotate`, removes all but the newest `keep` of the run's own checkpoints and any stale
  // temporaries. Returns the checkpoints it removed.
  std::vector<std::string> commit(const std::string& temporary, const std::string& final,
                                  bool rotate);
  // Makes best.h5 another name of the complete checkpoint `source` (a hard link under the
  // temporary name, then renamed over best.h5): no second write of the same state. False, with
  // nothing left behind, where the filesystem cannot link.
  bool link_as_best(const std::string& source) const;
  // Removes a temporary file after a failed write.
  void discard(const std::string& temporary) const;

 private:
  std::string directory_;
  int keep_;
  std::set<std::pair<int64_t, std::string>> own_;  // (step, path) of the run's checkpoints
};

}  // namespace slatetrain
