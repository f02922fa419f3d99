// IdDictionary: the dense ids of a source's original ids (strings as the source wrote them),
// in order of first appearance. Open addressing over one byte arena, so tens of millions of
// ids cost their bytes plus about 40 bytes each (no node per key, no std::string per key).
// A slot keeps the key's first 8 bytes and its length, so looking up a short id (most are)
// touches one cache line.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace slatetrain {

class IdDictionary {
 public:
  IdDictionary();

  // The dense id of `key`, adding it (as the next id) when new.
  int32_t intern(std::string_view key);
  // The dense id of `key`, or -1.
  int32_t find(std::string_view key) const;
  std::string_view key(int32_t id) const {
    const auto i = static_cast<size_t>(id);
    return std::string_view(bytes_).substr(static_cast<size_t>(offsets_[i]),
                                           static_cast<size_t>(offsets_[i + 1] - offsets_[i]));
  }
  int64_t size() const { return static_cast<int64_t>(offsets_.size()) - 1; }
  // Bytes held (for the memory report).
  int64_t memory_bytes() const;

 private:
  static uint64_t hash(std::string_view key);
  void grow();

  // A slot: the key's first 8 bytes (zero-padded), 24 bits of its hash with its length
  // (capped at 255) in the low byte, and the id (-1: empty). A power-of-two table, at most half
  // full.
  struct Slot {
    uint64_t prefix = 0;
    uint32_t hash_length = 0;
    int32_t id = -1;
  };
  static void describe(std::string_view key, uint64_t& hash, uint64_t& prefix,
                       uint32_t& hash_length);
  bool matches(const Slot& slot, std::string_view key, uint64_t prefix,
               uint32_t hash_length) const {
    return slot.hash_length == hash_length && slot.prefix == prefix &&
           (key.size() <= 8 || this->key(slot.id) == key);
  }

  std::string bytes_;
  std::vector<int64_t> offsets_{0};
  std::vector<Slot> slots_;
  // The last key interned, kept hot: sources sorted by user repeat it row after row.
  std::string last_key_;
  int32_t last_id_ = -1;
};

}  // namespace slatetrain
