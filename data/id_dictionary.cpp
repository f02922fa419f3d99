#include "data/id_dictionary.hpp"

#include <cstring>
#include <limits>

#include "core/error.hpp"

namespace slatetrain {

IdDictionary::IdDictionary() : slots_(1024, -1) {}

uint64_t IdDictionary::hash(std::string_view key) {
  // 8 bytes at a time, each word mixed in (a multiply-xorshift hash: keys are short ids).
  uint64_t h = 0x9e3779b97f4a7c15ULL ^ key.size();
  size_t i = 0;
  for (; i + 8 <= key.size(); i += 8) {
    uint64_t word;
    std::memcpy(&word, key.data() + i, 8);
    h = (h ^ word) * 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 31;
  }
  uint64_t tail = 0;
  std::memcpy(&tail, key.data() + i, key.size() - i);
  h = (h ^ tail) * 0x94d049bb133111ebULL;
  h ^= h >> 29;
  h *= 0xbf58476d1ce4e5b9ULL;
  return h ^ (h >> 32);
}

int32_t IdDictionary::find(std::string_view key) const {
  const uint64_t h = hash(key);
  const size_t mask = slots_.size() - 1;
  for (size_t slot = h & mask;; slot = (slot + 1) & mask) {
    const int32_t id = slots_[slot];
    if (id < 0) return -1;
    if (hashes_[static_cast<size_t>(id)] == static_cast<uint32_t>(h) && this->key(id) == key)
      return id;
  }
}

int32_t IdDictionary::intern(std::string_view key) {
  const uint64_t h = hash(key);
  const size_t mask = slots_.size() - 1;
  size_t slot = h & mask;
  for (;; slot = (slot + 1) & mask) {
    const int32_t id = slots_[slot];
    if (id < 0) break;
    if (hashes_[static_cast<size_t>(id)] == static_cast<uint32_t>(h) && this->key(id) == key)
      return id;
  }
  REQUIRE(size() < std::numeric_limits<int32_t>::max() - 1,
          "more than " << std::numeric_limits<int32_t>::max() - 1 << " distinct ids");
  const auto id = static_cast<int32_t>(size());
  bytes_.append(key);
  offsets_.push_back(static_cast<int64_t>(bytes_.size()));
  hashes_.push_back(static_cast<uint32_t>(h));
  slots_[slot] = id;
  // At most half full: short probe sequences.
  if (static_cast<size_t>(size()) * 2 > slots_.size()) grow();
  return id;
}

void IdDictionary::grow() {
  std::vector<int32_t> slots(slots_.size() * 2, -1);
  const size_t mask = slots.size() - 1;
  for (int32_t id = 0; id < static_cast<int32_t>(size()); ++id) {
    // The stored low 32 bits place a key exactly as its full hash does (tables < 2^32 slots).
    size_t slot = hashes_[static_cast<size_t>(id)] & mask;
    while (slots[slot] >= 0) slot = (slot + 1) & mask;
    slots[slot] = id;
  }
  slots_.swap(slots);
}

int64_t IdDictionary::memory_bytes() const {
  return static_cast<int64_t>(bytes_.capacity() + offsets_.capacity() * sizeof(int64_t) +
                              hashes_.capacity() * sizeof(uint32_t) +
                              slots_.capacity() * sizeof(int32_t));
}

}  // namespace slatetrain
