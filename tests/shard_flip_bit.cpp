// shard_flip_bit FILE DATASET ELEMENT [BIT]: flips one bit of element ELEMENT of a shard's
// 1-d dataset in place (tests/shard_corruption.hpp), for the command-line integrity tests.
// BIT counts from the element's least significant bit (little-endian: bit 30 of an int32 is
// bit 6 of its fourth byte). Prints the byte offset it changed.
#include <cstdio>
#include <cstdlib>
#include <exception>

#include "tests/shard_corruption.hpp"

int main(int argc, char** argv) {
  if (argc != 4 && argc != 5) {
    std::fputs("usage: shard_flip_bit FILE DATASET ELEMENT [BIT]\n", stderr);
    return 2;
  }
  try {
    const int bit = argc == 5 ? std::atoi(argv[4]) : 0;
    if (bit < 0 || bit >= 64) {
      std::fprintf(stderr, "shard_flip_bit: BIT %d is outside [0, 64)\n", bit);
      return 2;
    }
    const long long offset =
        slatetrain::testing::dataset_element_offset(argv[1], argv[2], std::atoll(argv[3])) +
        bit / 8;
    slatetrain::testing::flip_bit(argv[1], offset, bit % 8);
    std::printf("%lld\n", offset);
    return 0;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "shard_flip_bit: %s\n", error.what());
    return 1;
  }
}
