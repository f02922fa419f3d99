// One checkpoint: a single HDF5 file written by rank 0 (docs/CHECKPOINT.md).
//
//   /                      attributes: schema_version, complete (written last), step, epoch,
//                          batches_into_epoch, batches_per_epoch, world_size, seed, rng_state[4],
//                          config (YAML), run_id, dataset_id, dataset_path (schema 2)
//   /dense/parameters      float32 [P]   the flat dense parameter buffer; attribute layout
//                                        (JSON: each named parameter's offset and shape)
//   /dense/<state>         float32 [P]   optimizer state (first_moment, second_moment)
//   /dense                 attribute step (the dense optimizer's step count)
//   /embedding/rows        float32 [I, D] item vectors in global item order
//   /embedding/<state>     float32 [I, D] row optimizer state, same order
//   /embedding             attribute step (the row optimizer's step count)
//   /evaluation            attributes best_metric, best_step, validations_without_improvement
//
// Every dataset is chunked with the Fletcher-32 filter, so a flipped byte is found on read;
// `complete` is set only after everything else, so a torn write is never taken for a checkpoint.
// Schema 1 files (no run or dataset identity) are read
// with those fields empty.
// The embedding is written and read in row chunks: nobody needs the whole table in memory.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace slatetrain {

struct CheckpointHeader {
  int64_t step = 0;
  int64_t epoch = 0;
  int64_t batches_into_epoch = 0;
  int64_t batches_per_epoch = 0;  // of the writing run (resume on another world size scales)
  int64_t world_size = 1;
  uint64_t seed = 0;
  // State of a stateful generator, for models that need one (dropout). The GRU run draws
  // nothing from it: negatives and shuffles are counter-based on (seed, step), so step and
  // seed restore them; the trainer writes zeros here.
  std::array<uint64_t, 4> rng_state{};
  std::string config_yaml;
  // The run that wrote it (kept across resumes) and the data it trained on: a hash of the
  // converted directory's file checksums (launch/dataset_identity) and its path, for messages.
  std::string run_id;
  std::string dataset_id;
  std::string dataset_path;
  int64_t dense_step = 0;
  int64_t embedding_step = 0;
  double best_metric = 0;
  int64_t best_step = -1;
  int64_t validations_without_improvement = 0;
};

class CheckpointFileWriter {
 public:
  // Creates `path` (truncating) for a table of num_items x dim with the named row states.
  CheckpointFileWriter(const std::string& path, int64_t num_items, int64_t dim,
                       const std::vector<std::string>& embedding_states);
  ~CheckpointFileWriter();
  CheckpointFileWriter(const CheckpointFileWriter&) = delete;
  CheckpointFileWriter& operator=(const CheckpointFileWriter&) = delete;

  // name: "parameters", "first_moment", ...; a non-empty `layout` (JSON: the named parameters'
  // offsets and shapes in the vector) is stored as the dataset's `layout` attribute.
  void write_dense(const std::string& name, const std::vector<float>& values,
                   const std::string& layout = "");
  // rows [count, dim] starting at global item `first_item`; dataset "rows" or a state name.
  void write_embedding_rows(const std::string& dataset, int64_t first_item, int64_t count,
                            const float* rows);
  // Writes the header attributes and the `complete` mark, then closes the file.
  void finish(const CheckpointHeader& header);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

class CheckpointFileReader {
 public:
  // Opens and validates: schema version, `complete`, table shape. Errors name the file.
  explicit CheckpointFileReader(const std::string& path);
  // The same from a file image in memory (HDF5's core driver, nothing on disk; the fuzz target
  // reads checkpoints this way). `name` stands for the path in messages.
  CheckpointFileReader(const std::string& name, const void* image, size_t bytes);
  ~CheckpointFileReader();
  CheckpointFileReader(const CheckpointFileReader&) = delete;
  CheckpointFileReader& operator=(const CheckpointFileReader&) = delete;

  const CheckpointHeader& header() const;
  int64_t num_items() const;
  int64_t dim() const;
  std::vector<std::string> dense_names() const;
  std::vector<std::string> embedding_states() const;
  std::vector<float> read_dense(const std::string& name) const;
  // The number of floats in dense/<name>, without reading them.
  int64_t dense_size(const std::string& name) const;
  // dense/<name>'s `layout` attribute; empty when the file has none (written before it was).
  std::string dense_layout(const std::string& name) const;
  // Reads rows [first_item, first_item + count) of a dataset into rows [count, dim].
  void read_embedding_rows(const std::string& dataset, int64_t first_item, int64_t count,
                           float* rows) const;
  const std::string& path() const;

 private:
  struct State;
  // Validates the open file and reads the header.
  void read_header();
  std::unique_ptr<State> state_;
};

}  // namespace slatetrain
