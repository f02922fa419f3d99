// Who owns a run directory (docs/RUN_DIRECTORY.md). One run at a time: rank 0 holds an
// exclusive flock on run.dir/slatetrain.lock for the run's life, and a second run is refused at
// once with the holder's pid and host. A fresh start never mixes with another run's
// checkpoints: it is refused (naming --resume and --overwrite), or with --overwrite the previous
// run's files are moved aside, never deleted. Rank 0 only.
#pragma once

#include <string>

#include "dist/checkpoint_directory.hpp"

namespace slatetrain {

// How a run begins: a fresh start (refused over another run's checkpoints), --resume (continues
// the newest checkpoint), --overwrite (a fresh start that moves the previous run aside).
enum class RunStart { kFresh, kResume, kOverwrite };

class RunDirectoryLock {
 public:
  // Creates the directory if needed and takes the lock, or raises an Error naming the holder.
  explicit RunDirectoryLock(const std::string& run_directory);
  ~RunDirectoryLock();  // releases it (the kernel does too when the process dies)
  RunDirectoryLock(const RunDirectoryLock&) = delete;
  RunDirectoryLock& operator=(const RunDirectoryLock&) = delete;

 private:
  int descriptor_ = -1;
};

// A fresh start's claim on the directory. Without `overwrite`, an Error if it holds any
// checkpoint. With `overwrite`, the previous run's checkpoints, metrics.jsonl, summary.json and
// config.yaml move to run_directory/replaced/<UTC time>/; returns that folder ("" when there was
// nothing to move).
std::string claim_run_directory(const std::string& run_directory,
                                const CheckpointDirectory& checkpoints, bool overwrite);

std::string host_name();
// A new run's identity: 16 hex digits from the time, host, pid and the system's randomness.
std::string new_run_id();
// "2026-12-07T10:55:00Z"
std::string utc_time_text();

}  // namespace slatetrain
