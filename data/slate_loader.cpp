#include "data/slate_loader.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <set>
#include <utility>

#include "core/error.hpp"
#include "data/hdf5_library_mutex.hpp"
#include "data/shard_integrity.hpp"
#include "data/shard_reader.hpp"
#include "data/split.hpp"

namespace slatetrain {

namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

Split split_of_phase(LoaderPhase phase) {
  return phase == LoaderPhase::kValid ? Split::kValid : Split::kTest;
}

}  // namespace

SlateLoader::SlateLoader(const LoaderOptions& options, Communicator* communicator)
    : options_(options) {
  rank_ = options.rank;
  world_size_ = options.world_size;
  if (communicator != nullptr) {
    const bool options_unset = options.rank == 0 && options.world_size == 1;
    REQUIRE(options_unset || (options.rank == communicator->rank() &&
                              options.world_size == communicator->world_size()),
            "loader options say rank " << options.rank << " of " << options.world_size
                                       << " but the communicator is rank " << communicator->rank()
                                       << " of " << communicator->world_size());
    rank_ = communicator->rank();
    world_size_ = communicator->world_size();
  }
  REQUIRE(world_size_ > 0 && rank_ >= 0 && rank_ < world_size_,
          "loader rank " << rank_ << " outside a world of " << world_size_);
  REQUIRE(options.batch_users > 0, "batch_users must be positive, not " << options.batch_users);
  REQUIRE(options.prefetch_batches > 0,
          "prefetch_batches must be positive, not " << options.prefetch_batches);

  manifest_ = Manifest::load(options.directory);
  REQUIRE(options.window_steps >= 0,
          "window_steps must be 0 (the manifest's max_steps) or positive, not "
              << options.window_steps);
  window_steps_ = options.window_steps > 0 ? options.window_steps : manifest_.max_steps;
  REQUIRE(manifest_.protocol != Protocol::kUsers || window_steps_ >= manifest_.max_steps,
          options.directory << ": a window of " << window_steps_
                            << " steps cannot hold the rows of this dataset (protocol users: "
                            << "steps sit at their source index, max_steps " << manifest_.max_steps
                            << "); use window_steps 0 or at least " << manifest_.max_steps);
  decoder_ = std::make_unique<BatchDecoder>(options.phase, window_steps_, manifest_.slate_slots,
                                            manifest_.split.t_testsplit, manifest_.protocol,
                                            manifest_.num_items);
  readers_.resize(manifest_.shards.size());
  check_shards(communicator);

  std::vector<int64_t> shard_first_rows{0};
  for (size_t i = 0; i < manifest_.shards.size(); ++i) {
    const ShardInfo& shard = manifest_.shards[i];
    REQUIRE(shard.first_row == shard_first_rows.back(),
            options.directory << "/manifest.json: shard " << shard.file << " starts at row "
                              << shard.first_row << ", expected " << shard_first_rows.back());
    shard_first_rows.push_back(shard.first_row + shard.users);
  }
  REQUIRE(shard_first_rows.back() == manifest_.num_users,
          options.directory << "/manifest.json: shards hold " << shard_first_rows.back()
                            << " users, num_users is " << manifest_.num_users);

  std::vector<int64_t> phase_rows;
  if (options.phase == LoaderPhase::kTrain) {
    phase_rows.resize(static_cast<size_t>(manifest_.num_users));
    for (int64_t row = 0; row < manifest_.num_users; ++row)
      phase_rows[static_cast<size_t>(row)] = row;
  } else {
    // Users protocol: the users whose split is the phase's. Leave-one-out: the users with
    // enough events to have a validation and a test event. Read once per shard; no thread runs
    // yet, but another loader's may, hence the lock.
    const bool by_split = manifest_.protocol == Protocol::kUsers;
    const auto wanted = static_cast<uint8_t>(split_of_phase(options.phase));
    for (size_t i = 0; i < manifest_.shards.size(); ++i) {
      std::vector<uint8_t> splits;
      std::vector<int64_t> step_counts;
      {
        std::lock_guard<std::mutex> lock(hdf5_library_mutex());
        if (by_split)
          splits = reader(static_cast<int>(i)).read_splits();
        else
          step_counts = reader(static_cast<int>(i)).read_step_counts();
      }
      const size_t entries = by_split ? splits.size() : step_counts.size();
      REQUIRE(static_cast<int64_t>(entries) == manifest_.shards[i].users,
              manifest_.shard_path(options.directory, i)
                  << ": " << (by_split ? "/users/split" : "/users/step_offsets") << " has "
                  << entries << " users, the manifest says " << manifest_.shards[i].users);
      for (size_t u = 0; u < entries; ++u) {
        const bool in_phase =
            by_split ? splits[u] == wanted : step_counts[u] >= kLeaveOneOutMinEvents;
        if (in_phase) phase_rows.push_back(manifest_.shards[i].first_row + static_cast<int64_t>(u));
      }
    }
    const int64_t expected = options.phase == LoaderPhase::kValid ? manifest_.split.valid_users
                                                                  : manifest_.split.test_users;
    REQUIRE(static_cast<int64_t>(phase_rows.size()) == expected,
            options.directory << ": the shards hold " << phase_rows.size() << " "
                              << loader_phase_name(options.phase) << " users, the manifest says "
                              << expected);
  }
  order_ = std::make_unique<UserOrder>(std::move(phase_rows), std::move(shard_first_rows),
                                       options.order);
  users_on_this_rank_ = order_->users_on_rank(rank_, world_size_);

  // Every rank computes the same count from the same manifest; the maximum over ranks makes
  // sure of it even if their views differed.
  const int64_t max_users = order_->max_users_per_rank(world_size_);
  batches_per_epoch_ = (max_users + options.batch_users - 1) / options.batch_users;
  if (communicator != nullptr)
    batches_per_epoch_ = communicator->allreduce_value<int64_t>(batches_per_epoch_, ReduceOp::kMax);
}

SlateLoader::~SlateLoader() {
  stop_thread();
  std::lock_guard<std::mutex> lock(hdf5_library_mutex());
  readers_.clear();
}

void SlateLoader::check_shards(Communicator* communicator) {
  if (rank_ == 0) {
    // Once per process and directory: evaluation builds a loader per phase and validation.
    static std::mutex warned_mutex;
    static std::set<std::string> warned;
    const std::string warning = missing_conversion_id_warning(options_.directory, manifest_);
    std::lock_guard<std::mutex> lock(warned_mutex);
    if (!warning.empty() && warned.insert(options_.directory).second)
      std::fprintf(stderr, "warning: %s\n", warning.c_str());
  }
  // Each rank checks its share; without a communicator nobody else will, so all of them.
  const bool shared = communicator != nullptr;
  const size_t first = shared ? static_cast<size_t>(rank_) : 0;
  const size_t step = shared ? static_cast<size_t>(world_size_) : 1;
  const ShardContentCheck content =
      options_.verify_shards ? ShardContentCheck::kCrcOncePerProcess : ShardContentCheck::kSize;
  std::string problem;
  for (size_t i = first; i < manifest_.shards.size() && problem.empty(); i += step) {
    problem = shard_file_problem(options_.directory, manifest_, i, content);
    if (!problem.empty()) break;
    // Opening checks the identity; another loader's thread may be using HDF5.
    std::lock_guard<std::mutex> lock(hdf5_library_mutex());
    try {
      reader(static_cast<int>(i));
    } catch (const std::exception& failure) {
      problem = failure.what();
    }
  }
  if (!shared) {
    REQUIRE(problem.empty(), "shard check: " << problem);
    return;
  }
  // Every rank fails together, with every rank's problem, so no rank waits in a collective.
  const auto length = static_cast<int64_t>(problem.size());
  std::vector<int64_t> lengths(static_cast<size_t>(world_size_));
  communicator->allgather(&length, 1, lengths.data(), ElementType::kInt64);
  std::vector<size_t> counts(lengths.size());
  size_t total = 0;
  for (size_t r = 0; r < lengths.size(); ++r) {
    counts[r] = static_cast<size_t>(lengths[r]);
    total += counts[r];
  }
  if (total == 0) return;
  std::string all(total, '\0');
  communicator->allgatherv(problem.data(), problem.size(), all.data(), counts, ElementType::kUInt8);
  std::string message;
  size_t offset = 0;
  for (size_t r = 0; r < counts.size(); offset += counts[r], ++r) {
    if (counts[r] == 0) continue;
    message += (message.empty() ? "" : "; ") + std::string("rank ") + std::to_string(r) + ": " +
               all.substr(offset, counts[r]);
  }
  RAISE("shard check failed (" << options_.directory << "): " << message);
}

ShardReader& SlateLoader::reader(int shard) {
  auto& slot = readers_[static_cast<size_t>(shard)];
  if (!slot) {
    const auto index = static_cast<size_t>(shard);
    // Missing or resized files get a plain message rather than HDF5's.
    const std::string file_problem =
        shard_file_problem(options_.directory, manifest_, index, ShardContentCheck::kSize);
    REQUIRE(file_problem.empty(), file_problem);
    auto opened = std::make_unique<ShardReader>(manifest_.shard_path(options_.directory, index));
    const std::string identity_problem = shard_identity_problem(*opened, manifest_, index);
    REQUIRE(identity_problem.empty(), identity_problem);
    slot = std::move(opened);
  }
  return *slot;
}

void SlateLoader::stop_thread() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  changed_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void SlateLoader::start_epoch(int64_t epoch, int64_t skip_batches) {
  REQUIRE(epoch >= 0, "epoch must be non-negative, not " << epoch);
  REQUIRE(skip_batches >= 0 && skip_batches <= batches_per_epoch_,
          "cannot skip " << skip_batches << " batches of an epoch of " << batches_per_epoch_);
  stop_thread();

  EpochWork work;
  work.windows = order_->plan_epoch(options_.seed, epoch, options_.shuffle, rank_, world_size_);
  work.skip_users = skip_batches * options_.batch_users;
  work.batches = batches_per_epoch_ - skip_batches;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    // Batches decoded for the previous epoch are not delivered; keep their buffers.
    while (!ready_.empty()) {
      free_.push_back(std::move(ready_.front()));
      ready_.pop_front();
    }
    stop_ = false;
    error_.clear();
    epoch_started_ = true;
    delivered_ = skip_batches;
  }
  thread_ = std::thread(&SlateLoader::run_thread, this, std::move(work));
}

bool SlateLoader::next(SequenceBatch& batch) {
  std::unique_lock<std::mutex> lock(mutex_);
  REQUIRE(epoch_started_, "SlateLoader::next called before start_epoch");
  if (delivered_ >= batches_per_epoch_) return false;
  const auto wait_start = std::chrono::steady_clock::now();
  changed_.wait(lock, [&] { return !ready_.empty() || !error_.empty(); });
  stats_.wait_seconds += seconds_since(wait_start);
  if (ready_.empty()) throw Error(error_);

  std::swap(batch, ready_.front());
  free_.push_back(std::move(ready_.front()));
  ready_.pop_front();
  ++delivered_;
  ++stats_.batches;
  stats_.users += batch.valid_users;
  stats_.steps += batch.real_steps;
  stats_.masked_steps += batch.masked_steps;
  lock.unlock();
  changed_.notify_all();
  return true;
}

SlateLoader::Stats SlateLoader::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stats_;
}

void SlateLoader::run_thread(EpochWork work) {
  try {
    produce(work);
  } catch (const std::exception& error) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      error_ = std::string("loader (rank ") + std::to_string(rank_) + ", " +
               loader_phase_name(options_.phase) + "): " + error.what();
    }
    changed_.notify_all();
  }
}

void SlateLoader::take_free_batch(SequenceBatch& batch) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!free_.empty()) {
    batch = std::move(free_.back());
    free_.pop_back();
  }
}

bool SlateLoader::push(SequenceBatch& batch, double& waited_seconds) {
  const auto start = std::chrono::steady_clock::now();
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait(lock, [&] {
    return stop_ || static_cast<int64_t>(ready_.size()) < options_.prefetch_batches;
  });
  waited_seconds += seconds_since(start);
  if (stop_) return false;
  ready_.push_back(std::move(batch));
  lock.unlock();
  changed_.notify_all();
  return true;
}

void SlateLoader::read_window(const UserWindow& window, std::vector<UserBlock>& blocks,
                              std::string& current_file) {
  const auto start = std::chrono::steady_clock::now();
  blocks.resize(window.reads.size());
  {
    std::lock_guard<std::mutex> lock(hdf5_library_mutex());
    for (size_t i = 0; i < window.reads.size(); ++i) {
      const RowRange& range = window.reads[i];
      current_file = manifest_.shard_path(options_.directory, static_cast<size_t>(range.shard));
      ShardReader& shard = reader(range.shard);
      blocks[i] =
          shard.read_users(range.begin_row - shard.first_row(), range.end_row - shard.first_row());
      REQUIRE(blocks[i].num_users() == range.end_row - range.begin_row &&
                  blocks[i].row.front() == range.begin_row,
              "reading rows [" << range.begin_row << ", " << range.end_row << ") gave "
                               << blocks[i].num_users() << " users from row "
                               << (blocks[i].row.empty() ? -1 : blocks[i].row.front()));
    }
  }
  std::lock_guard<std::mutex> lock(mutex_);
  stats_.read_seconds += seconds_since(start);
}

void SlateLoader::produce(const EpochWork& work) {
  std::string current_file = options_.directory;
  try {
    SequenceBatch batch;
    int64_t produced = 0;
    auto fresh_batch = [&] {
      take_free_batch(batch);
      decoder_->reset(batch, options_.batch_users);
    };
    fresh_batch();

    std::vector<UserBlock> blocks;
    int64_t skip = work.skip_users;
    for (const UserWindow& window : work.windows) {
      const auto window_users = static_cast<int64_t>(window.rows.size());
      if (skip >= window_users) {
        skip -= window_users;
        continue;
      }
      read_window(window, blocks, current_file);
      const auto decode_start = std::chrono::steady_clock::now();
      double waited_seconds = 0;  // blocked on a full queue: not decoding
      for (size_t i = static_cast<size_t>(skip); i < window.rows.size(); ++i) {
        const int64_t row = window.rows[i];
        // The read covering this row: the last one starting at or before it.
        const auto after =
            std::upper_bound(window.reads.begin(), window.reads.end(), row,
                             [](int64_t r, const RowRange& range) { return r < range.begin_row; });
        const auto read = static_cast<size_t>(after - window.reads.begin()) - 1;
        const RowRange& range = window.reads[read];
        current_file = manifest_.shard_path(options_.directory, static_cast<size_t>(range.shard));
        const int64_t user = row - range.begin_row;
        REQUIRE(row < range.end_row && blocks[read].row[static_cast<size_t>(user)] == row,
                "user row " << row << " is not where the read of rows [" << range.begin_row << ", "
                            << range.end_row << ") put it");
        decoder_->append_user(blocks[read], user, batch);
        if (batch.valid_users == batch.batch_users) {
          if (!push(batch, waited_seconds)) return;
          ++produced;
          fresh_batch();
        }
      }
      skip = 0;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        stats_.decode_seconds += seconds_since(decode_start) - waited_seconds;
      }
    }
    // The last partial batch, then empty ones up to the count every rank yields.
    double waited_seconds = 0;
    if (batch.valid_users > 0) {
      if (!push(batch, waited_seconds)) return;
      ++produced;
      fresh_batch();
    }
    REQUIRE(produced <= work.batches,
            "this rank has " << produced << " batches, more than the agreed " << work.batches);
    while (produced < work.batches) {
      if (!push(batch, waited_seconds)) return;
      ++produced;
      fresh_batch();
    }
  } catch (const std::exception& error) {
    throw Error(current_file + ": " + error.what());
  }
}

}  // namespace slatetrain
