// The three FINN.no source files (docs/FINN.md) opened for streaming: data.npz's six
// arrays read in lock-step blocks of users, itemattr.npz's category, ind2val.json. Opening
// checks the structure (every file and array present, shapes and dtypes agree); values are
// checked block by block in data/finn_checks.hpp. Errors name the file and the array.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "data/npz_reader.hpp"

namespace slatetrain {

// Source rows [first_row, first_row + users), every array widened to int64.
struct FinnSourceBlock {
  int64_t first_row = 0;
  int64_t users = 0;
  int max_steps = 0;    // T
  int slate_slots = 0;  // S
  // shapes: [users]
  std::vector<int64_t> user_id;
  // shapes: [users, T]
  std::vector<int64_t> click, click_idx, slate_lengths, interaction_type;
  // shapes: [users, T, S]
  std::vector<int64_t> slate;

  // Index of (user, t) in the [users, T] arrays; slate row (user, t) starts at step(u, t) * S.
  int64_t step(int64_t user, int t) const { return user * max_steps + t; }
};

class FinnSource {
 public:
  explicit FinnSource(const std::string& input_directory);
  ~FinnSource();

  int64_t num_users() const { return num_users_; }
  int max_steps() const { return max_steps_; }
  int slate_slots() const { return slate_slots_; }
  // Length of itemattr.npz's category: the catalogue size, ids are in [0, num_items).
  int64_t num_items() const { return num_items_; }
  // data.npz's integer dtype ("int32" or "int64") and whether its members are deflated.
  const std::string& int_dtype() const { return int_dtype_; }
  bool compressed() const { return compressed_; }
  const nlohmann::json& ind2val() const { return ind2val_; }

  const std::string& data_path() const { return data_path_; }
  const std::string& item_attributes_path() const { return item_attributes_path_; }
  const std::string& index_to_value_path() const { return index_to_value_path_; }
  uint64_t data_bytes() const;

  // Reads the next `count` users (fewer at the end) of all six arrays into `block`.
  // Returns the number of users read (0 at the end).
  int64_t read_block(int64_t count, FinnSourceBlock& block);
  int64_t rows_read() const { return rows_read_; }

  // itemattr.npz's category, exactly (float64).
  std::vector<double> read_categories() const;

 private:
  std::string data_path_, item_attributes_path_, index_to_value_path_;
  std::unique_ptr<NpzArchive> data_;
  std::unique_ptr<NpyRowReader> user_id_, click_, click_idx_, slate_lengths_, interaction_type_,
      slate_;
  nlohmann::json ind2val_;
  int64_t num_users_ = 0, num_items_ = 0, rows_read_ = 0;
  int max_steps_ = 0, slate_slots_ = 0;
  std::string int_dtype_;
  bool compressed_ = false;
};

}  // namespace slatetrain
