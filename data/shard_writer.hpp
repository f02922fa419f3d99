// ShardWriter: writes one shard file of docs/FORMAT.md by appending blocks of users. Datasets
// are chunked and growable, optionally gzip-compressed (with the byte shuffle filter); object
// modification times are off, so the same input and conversion id give byte-identical files.
// Not thread-safe (Debian's HDF5 is the serial build): one thread writes HDF5 at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "data/shard_user_block.hpp"

namespace slatetrain {

// kSlates: the FINN layout (shard schema_version 1, byte for byte as it always was).
// kSessions: the session layout (schema_version 2): no /steps/t and no slates, the users'
// original ids, optional /steps/timestamp and /steps/weight (docs/FORMAT.md).
enum class ShardLayout { kSlates, kSessions };

struct ShardWriterOptions {
  int gzip_level = 0;          // 0: no compression; 1..9: shuffle + deflate
  int64_t expected_users = 0;  // sizes the chunks for small files (0: the largest chunks)
  int max_steps = 20;          // bounds the chunk size of the step arrays
  int64_t expected_steps = 0;  // when > 0, sizes the step chunks instead of users * max_steps
  ShardLayout layout = ShardLayout::kSlates;
  bool timestamps = false;  // kSessions: write /steps/timestamp
  bool weights = false;     // kSessions: write /steps/weight
  // Written as the file's conversion_id attribute (the manifest's; empty: none written).
  std::string conversion_id;
};

class ShardWriter {
 public:
  ShardWriter(const std::string& path, int shard_index, int shard_count, int64_t first_row,
              const ShardWriterOptions& options);
  ~ShardWriter();
  ShardWriter(const ShardWriter&) = delete;
  ShardWriter& operator=(const ShardWriter&) = delete;

  // Appends the block's users after those written so far (its offsets start at 0).
  void append(const UserBlock& block);
  // Flushes and closes the file; append() is invalid afterwards. The destructor closes too,
  // but only close() reports errors.
  void close();

  int64_t users_written() const;
  int64_t steps_written() const;
  int64_t slate_items_written() const;
  const std::string& path() const;

 private:
  void append_sessions(const UserBlock& block);

  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace slatetrain
