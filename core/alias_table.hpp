// Walker/Vose alias table: O(1) draws from a fixed discrete distribution (item popularity: the
// generator's exposure, the popularity sampler's negatives).
#pragma once

#include <cstdint>
#include <vector>

#include "core/random.hpp"

namespace slatetrain {

class AliasTable {
 public:
  AliasTable() = default;
  // weights: non-negative, not all zero.
  explicit AliasTable(const std::vector<double>& weights);
  // An index in [0, size()) drawn with probability weight / sum.
  uint32_t draw(Random& random) const { return draw(random.next()); }
  // The same from 64 random bits (a counter-based draw: hash_mix of the draw's coordinates).
  uint32_t draw(uint64_t bits) const {
    // High bits choose the column, low bits the coin.
    const auto column = static_cast<uint32_t>((static_cast<unsigned __int128>(bits) * size_) >> 64);
    const double coin = static_cast<double>(bits & 0xffffffffu) * 0x1.0p-32;
    return coin < probability_[column] ? column : alias_[column];
  }
  uint32_t size() const { return size_; }
  // The exact distribution draw() samples (float probabilities and the 32-bit coin included),
  // for exact computations over the draws.
  std::vector<double> distribution() const;

 private:
  uint32_t size_ = 0;
  std::vector<float> probability_;
  std::vector<uint32_t> alias_;
};

}  // namespace slatetrain
