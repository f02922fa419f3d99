#include "core/alias_table.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"

namespace slatetrain {

AliasTable::AliasTable(const std::vector<double>& weights)
    : size_(static_cast<uint32_t>(weights.size())),
      probability_(weights.size(), 1.0f),
      alias_(weights.size()) {
  REQUIRE(!weights.empty(), "alias table: no weights");
  double total = 0;
  for (const double w : weights) total += w;
  REQUIRE(total > 0, "alias table: weights sum to zero");
  std::vector<double> scaled(weights.size());
  std::vector<uint32_t> small, large;
  for (uint32_t i = 0; i < size_; ++i) {
    scaled[i] = weights[i] * size_ / total;
    alias_[i] = i;
    (scaled[i] < 1.0 ? small : large).push_back(i);
  }
  while (!small.empty() && !large.empty()) {
    const uint32_t s = small.back(), l = large.back();
    small.pop_back();
    probability_[s] = static_cast<float>(scaled[s]);
    alias_[s] = l;
    scaled[l] -= 1.0 - scaled[s];
    if (scaled[l] < 1.0) {
      large.pop_back();
      small.push_back(l);
    }
  }
  // Rounding leftovers keep probability 1 (their own column).
}

std::vector<double> AliasTable::distribution() const {
  std::vector<double> out(size_, 0.0);
  for (uint32_t column = 0; column < size_; ++column) {
    // The coin is k * 2^-32, k uniform in 0..2^32-1: coin < p for ceil(p * 2^32) values of k.
    const double keep =
        std::min(1.0, std::ceil(double(probability_[column]) * 0x1.0p32) * 0x1.0p-32);
    out[column] += keep / size_;
    out[alias_[column]] += (1.0 - keep) / size_;
  }
  return out;
}

}  // namespace slatetrain
