#include "data/converter.hpp"

#include <condition_variable>
#include <cstdio>
#include <deque>
#include <exception>
#include <filesystem>
#include <future>
#include <mutex>
#include <optional>
#include <thread>

#include "core/error.hpp"
#include "core/progress.hpp"
#include "data/checksum.hpp"
#include "data/finn_checks.hpp"
#include "data/finn_format.hpp"
#include "data/output_directory.hpp"
#include "data/shard_items.hpp"
#include "data/shard_writer.hpp"

namespace slatetrain {

namespace {

// One ragged block of users for one shard, on its way to the writer thread.
struct WriteJob {
  int shard = 0;
  UserBlock users;
};

// A small bounded queue between the reading and the writing thread; either side can fail,
// which wakes the other.
class JobQueue {
 public:
  explicit JobQueue(size_t capacity) : capacity_(capacity) {}

  // False if the consumer failed (the producer should stop).
  bool push(WriteJob job) {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [&] { return jobs_.size() < capacity_ || failed_; });
    if (failed_) return false;
    jobs_.push_back(std::move(job));
    changed_.notify_all();
    return true;
  }
  // Empty when the producer has finished (or failed) and nothing is left.
  std::optional<WriteJob> pop() {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [&] { return !jobs_.empty() || finished_ || failed_; });
    if (jobs_.empty() || failed_) return std::nullopt;
    WriteJob job = std::move(jobs_.front());
    jobs_.pop_front();
    changed_.notify_all();
    return job;
  }
  void finish() {
    std::lock_guard<std::mutex> lock(mutex_);
    finished_ = true;
    changed_.notify_all();
  }
  void fail() {
    std::lock_guard<std::mutex> lock(mutex_);
    failed_ = true;
    changed_.notify_all();
  }

 private:
  size_t capacity_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<WriteJob> jobs_;
  bool finished_ = false, failed_ = false;
};

// The writer thread: opens each shard when its first block arrives, closes and checksums it
// when the next shard begins.
class ShardSink {
 public:
  ShardSink(std::string directory, int shard_count, int64_t num_users, ShardWriterOptions options)
      : directory_(std::move(directory)),
        shard_count_(shard_count),
        num_users_(num_users),
        options_(options) {}

  void run(JobQueue& queue) {
    while (std::optional<WriteJob> job = queue.pop()) {
      if (!writer_ || job->shard != current_) open(job->shard);
      writer_->append(job->users);
    }
    close_current();
  }

  const std::vector<ShardInfo>& shards() const { return shards_; }

 private:
  void open(int shard) {
    close_current();
    current_ = shard;
    ShardInfo info;
    info.file = shard_file_name(shard, shard_count_);
    info.first_row = shard_first_row(num_users_, shard_count_, shard);
    info.users = shard_first_row(num_users_, shard_count_, shard + 1) - info.first_row;
    shards_.push_back(info);
    ShardWriterOptions options = options_;
    options.expected_users = info.users;
    writer_ = std::make_unique<ShardWriter>(directory_ + "/" + info.file, shard, shard_count_,
                                            info.first_row, options);
  }
  void close_current() {
    if (!writer_) return;
    writer_->close();
    ShardInfo& info = shards_.back();
    REQUIRE(writer_->users_written() == info.users, writer_->path()
                                                        << ": wrote " << writer_->users_written()
                                                        << " users, expected " << info.users);
    info.steps = writer_->steps_written();
    info.slate_items = writer_->slate_items_written();
    info.bytes = static_cast<int64_t>(std::filesystem::file_size(writer_->path()));
    info.crc32 = crc32_file(writer_->path());
    writer_.reset();
  }

  std::string directory_;
  int shard_count_;
  int64_t num_users_;
  ShardWriterOptions options_;
  std::unique_ptr<ShardWriter> writer_;
  int current_ = -1;
  std::vector<ShardInfo> shards_;
};

std::string rate_text(double source_bytes, double interactions, double seconds) {
  char text[96];
  std::snprintf(text, sizeof text, "%.1f MB/s source, %s interactions/s",
                seconds > 0 ? source_bytes / seconds / 1e6 : 0.0,
                human_count(seconds > 0 ? interactions / seconds : 0.0).c_str());
  return text;
}

}  // namespace

int64_t shard_first_row(int64_t num_users, int shard_count, int index) {
  // floor(num_users * index / shard_count) without overflow for any realistic size.
  return static_cast<int64_t>((static_cast<__int128>(num_users) * index) / shard_count);
}

void append_source_users(const FinnSourceBlock& block, int64_t begin, int64_t end,
                         const std::vector<Split>& split, UserBlock& out) {
  const int slots = block.slate_slots;
  for (int64_t user = begin; user < end; ++user) {
    const int64_t row = block.first_row + user;
    out.row.push_back(row);
    out.user_id.push_back(block.user_id[user]);
    out.split.push_back(static_cast<uint8_t>(split[static_cast<size_t>(row)]));
    for (int t = 0; t < block.max_steps; ++t) {
      if (!step_is_stored(block, user, t)) continue;
      const int64_t step = block.step(user, t);
      const int64_t* slate = &block.slate[step * slots];
      const int width = slate_width(slate, slots);
      // The checks have bounded every value to its stored type.
      out.t.push_back(static_cast<uint8_t>(t));
      out.click.push_back(static_cast<int32_t>(block.click[step]));
      out.click_idx.push_back(static_cast<uint8_t>(block.click_idx[step]));
      out.slate_length.push_back(static_cast<uint8_t>(block.slate_lengths[step]));
      out.interaction_type.push_back(static_cast<uint8_t>(block.interaction_type[step]));
      for (int j = 0; j < width; ++j) out.slate_item.push_back(static_cast<int32_t>(slate[j]));
      out.slate_offsets.push_back(out.num_slate_items());
    }
    out.step_offsets.push_back(out.num_steps());
  }
}

Manifest convert_finn(const ConvertOptions& options) {
  REQUIRE(options.shards >= 1, "--shards must be at least 1, got " << options.shards);
  REQUIRE(options.block_users >= 1, "the block size must be at least 1 user");
  REQUIRE(options.gzip_level >= 0 && options.gzip_level <= 9,
          "--gzip must be 0..9, got " << options.gzip_level);
  // The input directory and its three files (each resolved: they may be links elsewhere).
  const std::vector<std::string> inputs{options.input, options.input + "/" + finn::kDataFile,
                                        options.input + "/" + finn::kItemAttributesFile,
                                        options.input + "/" + finn::kIndexToValueFile};
  OutputDirectory output(options.output, options.force, OutputKind::kConvertedDataset, inputs);
  const std::string& directory = output.temporary_path();

  FinnSource source(options.input);
  const int64_t num_users = source.num_users();
  REQUIRE(num_users >= options.shards, source.data_path()
                                           << ": " << num_users << " users cannot fill "
                                           << options.shards << " shards");
  // Source fingerprints in the background (they only read the files).
  auto source_hashes = std::async(std::launch::async, [&source] {
    std::vector<SourceFileInfo> files;
    for (const std::string& path :
         {source.data_path(), source.item_attributes_path(), source.index_to_value_path()}) {
      files.push_back({std::filesystem::path(path).filename().string(),
                       static_cast<int64_t>(std::filesystem::file_size(path)), sha256_file(path)});
    }
    return files;
  });

  FinnChecker checker(finn_check_rules(source, options.strict));
  const std::vector<double> category = source.read_categories();
  checker.check_categories(category, source.ind2val(), source.item_attributes_path());
  write_items_file(directory + "/" + kItemsFile, category);

  const std::vector<Split> split = assign_split(num_users, options.split);

  ShardWriterOptions writer_options;
  writer_options.gzip_level = options.gzip_level;
  writer_options.max_steps = source.max_steps();
  writer_options.conversion_id = new_conversion_id();
  ShardSink sink(directory, options.shards, num_users, writer_options);
  JobQueue queue(2);
  std::exception_ptr writer_failure;
  std::thread writer([&] {
    try {
      sink.run(queue);
    } catch (...) {
      writer_failure = std::current_exception();
      queue.fail();
    }
  });

  Progress progress("convert", num_users, "users");
  progress.set_enabled(options.show_progress);
  const double source_bytes = static_cast<double>(source.data_bytes());
  try {
    FinnSourceBlock block;
    int shard = 0;
    int64_t shard_end = shard_first_row(num_users, options.shards, 1);
    while (source.rows_read() < num_users) {
      // Blocks never straddle a shard boundary.
      const int64_t count = std::min(options.block_users, shard_end - source.rows_read());
      source.read_block(count, block);
      checker.check(block);
      WriteJob job;
      job.shard = shard;
      append_source_users(block, 0, block.users, split, job.users);
      if (!queue.push(std::move(job))) break;  // the writer failed: its error is reported below
      if (source.rows_read() == shard_end && shard + 1 < options.shards) {
        ++shard;
        shard_end = shard_first_row(num_users, options.shards, shard + 1);
      }
      const double done = static_cast<double>(source.rows_read()) / static_cast<double>(num_users);
      progress.update(
          source.rows_read(),
          rate_text(done * source_bytes, static_cast<double>(checker.statistics().interactions),
                    progress.elapsed_seconds()));
    }
    queue.finish();
  } catch (...) {
    queue.fail();
    writer.join();
    source_hashes.wait();
    throw;
  }
  writer.join();
  if (writer_failure) {
    source_hashes.wait();
    std::rethrow_exception(writer_failure);
  }
  const FinnStatistics& statistics = checker.statistics();
  progress.finish(rate_text(source_bytes, static_cast<double>(statistics.interactions),
                            progress.elapsed_seconds()));

  Manifest manifest;
  manifest.num_users = num_users;
  manifest.num_items = source.num_items();
  manifest.num_item_groups = static_cast<int64_t>(source.ind2val().at("category").size());
  manifest.num_stored_steps = statistics.stored_steps;
  manifest.num_interactions = statistics.interactions;
  manifest.num_slate_items = statistics.slate_items;
  manifest.max_steps = source.max_steps();
  manifest.slate_slots = source.slate_slots();
  static_cast<SplitParameters&>(manifest.split) = options.split;
  for (const Split value : split) {
    if (value == Split::kTrain) ++manifest.split.train_users;
    if (value == Split::kValid) ++manifest.split.valid_users;
    if (value == Split::kTest) ++manifest.split.test_users;
  }
  manifest.slate_length_histogram = statistics.histogram_vector();
  manifest.ind2val = source.ind2val();
  manifest.source.int_dtype = source.int_dtype();
  manifest.source.compressed = source.compressed();
  manifest.source.files = source_hashes.get();
  manifest.anomalies = checker.anomalies();
  const std::string items_path = directory + "/" + kItemsFile;
  manifest.items_file = {kItemsFile, static_cast<int64_t>(std::filesystem::file_size(items_path)),
                         crc32_file(items_path)};
  manifest.shards = sink.shards();
  manifest.created_by = "slateconvert 0.1.0";
  manifest.conversion_id = writer_options.conversion_id;

  int64_t shard_steps = 0, shard_items = 0;
  for (const ShardInfo& info : manifest.shards) {
    shard_steps += info.steps;
    shard_items += info.slate_items;
  }
  REQUIRE(static_cast<int>(manifest.shards.size()) == options.shards &&
              shard_steps == statistics.stored_steps && shard_items == statistics.slate_items,
          "internal: the shards hold "
              << shard_steps << " steps and " << shard_items << " slate items, the checks counted "
              << statistics.stored_steps << " and " << statistics.slate_items);
  manifest.save(directory + "/" + kManifestFile);
  output.commit();
  return manifest;
}

}  // namespace slatetrain
