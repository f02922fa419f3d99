// IdDictionary: the dense ids of a source's original ids (strings as the source wrote them),
// in order of first appearance. Open addressing over one byte arena, so tens of millions of
// ids cost their bytes plus about 20 bytes each (no node per key, no std::string per key).
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

  std::string bytes_;
  std::vector<int64_t> offsets_{0};
  std::vector<uint32_t> hashes_;  // the low 32 bits of each key's hash, to skip most compares
  std::vector<int32_t> slots_;    // -1 empty, else an id; capacity a power of two
};

}  // namespace slatetrain
