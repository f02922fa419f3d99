// SlateLoader: the per-rank streaming loader. Each rank reads only its share of a phase's
// users (data/user_order.hpp: blocks of consecutive users permuted per epoch, equal contiguous
// parts per rank, shuffled within windows of a few blocks), in contiguous HDF5 reads, and a
// background thread decodes them ahead into padded SequenceBatches (data/batch_decoder.hpp)
// through a bounded queue. The window of each user and the step mask follow the manifest's
// protocol (users or leave-one-out: data/protocol.hpp, docs/FORMAT.md "Protocols"); the
// caller never branches on the kind of dataset.
//
// Every rank yields the same number of batches per epoch (the maximum over ranks, agreed
// through the communicator); a rank that runs out of users yields batches with
// valid_users = 0, so collectives that follow each batch never hang.
//
// Threads: the constructor, start_epoch, next and the destructor are called from one thread
// (the training loop). Only the background thread touches HDF5 while an epoch runs, and it
// holds hdf5_library_mutex() (data/hdf5_library_mutex.hpp) for every HDF5 call; other HDF5
// users in the process must take that lock too. The background thread never calls MPI.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/communicator.hpp"
#include "data/batch_decoder.hpp"
#include "data/manifest.hpp"
#include "data/sequence_batch.hpp"
#include "data/user_order.hpp"

namespace slatetrain {

class ShardReader;

struct LoaderOptions {
  std::string directory;  // a converted directory (docs/FORMAT.md)
  LoaderPhase phase = LoaderPhase::kTrain;
  int64_t batch_users = 256;
  uint64_t seed = 0;
  bool shuffle = true;       // false: source order (evaluation)
  int prefetch_batches = 4;  // decoded batches the thread may run ahead
  // Used when no communicator is given; with one, they must match it or stay at 0 / 1.
  int rank = 0;
  int world_size = 1;
  UserOrderOptions order;  // block size, shuffle window, gap merging of reads
  // T of the batches: 0 means the manifest's max_steps (the longest row or history). The users
  // protocol needs T >= max_steps (steps sit at their source index); leave-one-out takes the
  // last T events of each phase's window.
  int window_steps = 0;
  // Before the first batch, every shard file's CRC-32 is checked against the manifest, the
  // shards split over the ranks (all of them without a communicator), once per process per
  // unchanged file; a failure on any rank fails the constructor on every rank with the file
  // named. false: only each file's size and identity (docs/FORMAT.md, "Integrity").
  bool verify_shards = true;
};

class SlateLoader {
 public:
  // Loads the manifest, checks the shards (LoaderOptions::verify_shards) and plans the phase's
  // users; for kValid / kTest it reads each shard's split column once to find them. With a
  // communicator this is collective (all ranks agree on the shard check and the batch count);
  // nullptr means a single process (or rank/world_size from options). A shard is refused when
  // it is opened if its identity differs from the manifest's (data/shard_integrity.hpp).
  SlateLoader(const LoaderOptions& options, Communicator* communicator);
  ~SlateLoader();  // stops and joins the thread
  SlateLoader(const SlateLoader&) = delete;
  SlateLoader& operator=(const SlateLoader&) = delete;

  // Starts (or restarts) delivering epoch `epoch`, skipping its first skip_batches batches
  // (resume with the same world size). Stops a running epoch cleanly first. Not collective.
  void start_epoch(int64_t epoch, int64_t skip_batches = 0);
  // The next batch of the epoch (its buffers are swapped with `batch`'s, so reuse one batch
  // object); false when the epoch is over. Re-throws an error of the thread, naming the file
  // (an item id outside [0, num_items) names the file, the user row and the step).
  bool next(SequenceBatch& batch);

  int64_t batches_per_epoch() const { return batches_per_epoch_; }
  int64_t users_on_this_rank() const { return users_on_this_rank_; }
  int64_t phase_users() const { return order_->num_users(); }  // over all ranks
  int rank() const { return rank_; }
  int world_size() const { return world_size_; }
  int window_steps() const { return window_steps_; }  // T of every batch
  Protocol protocol() const { return manifest_.protocol; }
  const Manifest& manifest() const { return manifest_; }

  // Totals since construction. read_seconds + decode_seconds is the thread's busy time
  // (HDF5 reads, then filling batches); wait_seconds is the time next() blocked on the thread.
  struct Stats {
    double read_seconds = 0, decode_seconds = 0, wait_seconds = 0;
    int64_t batches = 0, users = 0;
    int64_t steps = 0;         // real steps (click != 0) delivered: interactions
    int64_t masked_steps = 0;  // steps with step_mask 1 delivered
  };
  Stats stats() const;

 private:
  // What the background thread produces for one epoch.
  struct EpochWork {
    std::vector<UserWindow> windows;
    int64_t skip_users = 0;  // users at the start of the epoch already consumed (resume)
    int64_t batches = 0;     // batches to produce, padding included
  };

  // The collective check of the shards (LoaderOptions::verify_shards).
  void check_shards(Communicator* communicator);
  void stop_thread();
  void run_thread(EpochWork work);
  void produce(const EpochWork& work);
  // Reads the window's row ranges into blocks (under the HDF5 lock); sets current_file.
  void read_window(const UserWindow& window, std::vector<UserBlock>& blocks,
                   std::string& current_file);
  ShardReader& reader(int shard);
  // Hands a full batch to the queue, adding the time blocked on a full queue to
  // waited_seconds; false when asked to stop.
  bool push(SequenceBatch& batch, double& waited_seconds);
  void take_free_batch(SequenceBatch& batch);

  LoaderOptions options_;
  int rank_ = 0;
  int world_size_ = 1;
  Manifest manifest_;
  std::unique_ptr<UserOrder> order_;
  std::unique_ptr<BatchDecoder> decoder_;
  int64_t users_on_this_rank_ = 0;
  int64_t batches_per_epoch_ = 0;
  int window_steps_ = 0;
  // Opened lazily by the thread and kept across epochs; touched under hdf5_library_mutex().
  std::vector<std::unique_ptr<ShardReader>> readers_;

  std::thread thread_;
  mutable std::mutex mutex_;  // guards everything below
  std::condition_variable changed_;
  std::deque<SequenceBatch> ready_;  // decoded batches, oldest first
  std::vector<SequenceBatch> free_;  // buffers handed back by next(), reused by the thread
  bool stop_ = false;
  bool epoch_started_ = false;
  std::string error_;      // the thread's failure, re-thrown by next()
  int64_t delivered_ = 0;  // batches of this epoch handed out (skipped ones included)
  Stats stats_;
};

}  // namespace slatetrain
