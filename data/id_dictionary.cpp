#include "data/id_dictionary.hpp"

#include <algorithm>
#include <cstring>
#include <limits>

#include "core/error.hpp"

namespace slatetrain {

IdDictionary::IdDictionary() : slots_(1024) {}

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

void IdDictionary::describe(std::string_view key, uint64_t& hash_value, uint64_t& prefix,
                            uint32_t& hash_length) {
  hash_value = hash(key);
  prefix = 0;
  std::memcpy(&prefix, key.data(), std::min<size_t>(key.size(), 8));
  hash_length = (static_cast<uint32_t>(hash_value >> 32) & ~0xFFu) |
                static_cast<uint32_t>(std::min<size_t>(key.size(), 255));
}

int32_t IdDictionary::find(std::string_view key) const {
  uint64_t h, prefix;
  uint32_t hash_length;
  describe(key, h, prefix, hash_length);
  const size_t mask = slots_.size() - 1;
  for (size_t slot = h & mask;; slot = (slot + 1) & mask) {
    const Slot& entry = slots_[slot];
    if (entry.id < 0) return -1;
    if (matches(entry, key, prefix, hash_length)) return entry.id;
  }
}

int32_t IdDictionary::intern(std::string_view key) {
  if (last_id_ >= 0 && last_key_ == key) return last_id_;
  last_key_.assign(key);
  uint64_t h, prefix;
  uint32_t hash_length;
  describe(key, h, prefix, hash_length);
  const size_t mask = slots_.size() - 1;
  size_t slot = h & mask;
  for (;; slot = (slot + 1) & mask) {
    const Slot& entry = slots_[slot];
    if (entry.id < 0) break;
    if (matches(entry, key, prefix, hash_length)) return last_id_ = entry.id;
  }
  REQUIRE(size() < std::numeric_limits<int32_t>::max() - 1,
          "more than " << std::numeric_limits<int32_t>::max() - 1 << " distinct ids");
  const auto id = static_cast<int32_t>(size());
  bytes_.append(key);
  offsets_.push_back(static_cast<int64_t>(bytes_.size()));
  slots_[slot] = {prefix, hash_length, id};
  if (static_cast<size_t>(size()) * 2 > slots_.size()) grow();
  return last_id_ = id;
}

void IdDictionary::grow() {
  std::vector<Slot> slots(slots_.size() * 2);
  const size_t mask = slots.size() - 1;
  for (const Slot& entry : slots_) {
    if (entry.id < 0) continue;
    size_t slot = hash(key(entry.id)) & mask;
    while (slots[slot].id >= 0) slot = (slot + 1) & mask;
    slots[slot] = entry;
  }
  slots_.swap(slots);
}

int64_t IdDictionary::memory_bytes() const {
  return static_cast<int64_t>(bytes_.capacity() + offsets_.capacity() * sizeof(int64_t) +
                              slots_.capacity() * sizeof(Slot));
}

}  // namespace slatetrain
