// ShardReader: one shard file of docs/FORMAT.md opened read-only; reads any contiguous range
// of its users with one contiguous HDF5 read per dataset. Reads both layouts: the slate layout
// (schema_version 1, FINN) and the session layout (schema_version 2: no positions, no slates,
// original user ids, optional timestamps and weights); UserBlock says which fields are filled.
// HDF5 in Debian is the serial (non-thread-safe) build: a ShardReader, and HDF5 in general,
// must be used from one thread at a time (the loader's background thread, for example).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/hdf5_error.hpp"
#include "data/shard_user_block.hpp"

namespace slatetrain {

class ShardReader {
 public:
  // Opens the file and checks its schema version and that the array sizes agree.
  explicit ShardReader(const std::string& path);

  int64_t num_users() const { return num_users_; }
  int64_t num_steps() const { return num_steps_; }
  int64_t num_slate_items() const { return num_slate_items_; }
  int64_t first_row() const { return first_row_; }
  int shard_index() const { return shard_index_; }
  int shard_count() const { return shard_count_; }
  int schema_version() const { return schema_version_; }
  // The conversion that wrote the file ("" for files written before conversion ids).
  const std::string& conversion_id() const { return conversion_id_; }
  bool has_slates() const { return schema_version_ == 1; }  // and step positions t
  bool has_timestamps() const { return timestamp_.get() >= 0; }
  bool has_weights() const { return weight_.get() >= 0; }
  const std::string& path() const { return path_; }

  // Local user indices [begin, end) with their steps and slates, offsets rebased to 0:
  // one contiguous read per dataset (users, then their steps, then their slates).
  UserBlock read_users(int64_t begin, int64_t end) const;
  // Just the split column (cheap: for deciding which users a phase needs).
  std::vector<uint8_t> read_splits() const;
  // Each user's number of stored steps (from /users/step_offsets; cheap).
  std::vector<int64_t> read_step_counts() const;

 private:
  UserBlock read_session_steps(int64_t begin, int64_t end, int64_t first_step, int64_t n_steps,
                               UserBlock block) const;

  std::string path_;
  Hdf5Handle file_;
  Hdf5Handle row_, user_id_, split_, step_offsets_;
  Hdf5Handle t_, click_, click_idx_, slate_length_, interaction_type_, slate_offsets_;
  Hdf5Handle slate_item_;
  Hdf5Handle original_id_offsets_, original_id_bytes_, timestamp_, weight_;
  int64_t num_users_ = 0, num_steps_ = 0, num_slate_items_ = 0, first_row_ = 0;
  int shard_index_ = 0, shard_count_ = 0, schema_version_ = 0;
  std::string conversion_id_;
};

}  // namespace slatetrain
