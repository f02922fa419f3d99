// Reads every row of an array the ways its users do: int64, int32 and float64 in blocks.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "core/error.hpp"
#include "data/npz_reader.hpp"

namespace slatetrain::fuzz {

// Rows a caller would size its buffer for; larger rows are a caller's choice, not the reader's.
inline constexpr int64_t kMaxRowElements = int64_t(1) << 16;

inline void read_all_rows(NpyRowReader& reader) {
  const NpyArrayInfo& info = reader.info();
  const int64_t row_elements = info.row_elements();
  if (row_elements > kMaxRowElements) return;
  // Empty rows take no buffer: all at once (a (10**18, 0) array is valid and empty).
  const int64_t block_rows =
      row_elements == 0 ? info.rows() : std::max<int64_t>(1, 4096 / row_elements);
  std::vector<int64_t> as_int64(static_cast<size_t>(block_rows * row_elements));
  std::vector<int32_t> as_int32(as_int64.size());
  std::vector<double> as_float64(as_int64.size());
  // Alternate the three conversions over the blocks, so each meets every kind of row.
  for (int turn = 0;; ++turn) {
    int64_t rows = 0;
    try {
      if (turn % 3 == 0) rows = reader.read_int64(block_rows, as_int64.data());
      if (turn % 3 == 1) rows = reader.read_int32(block_rows, as_int32.data());
      if (turn % 3 == 2) rows = reader.read_float64(block_rows, as_float64.data());
    } catch (const Error&) {
      // A conversion refused (float as integer, int64 not fitting int32): the rows stay unread,
      // so read them as float64, which every dtype converts to.
      rows = reader.read_float64(block_rows, as_float64.data());
    }
    if (rows == 0) break;
  }
}

}  // namespace slatetrain::fuzz
