// Fuzz target: an .npz archive (zip directory, zip64 records, local headers, stored and deflated
// members with their CRC, each member's .npy header) read as the converter reads it.
#include <cstdint>
#include <vector>

#include "core/error.hpp"
#include "data/npz_reader.hpp"
#include "tests/fuzz/fuzz_read_rows.hpp"
#include "tests/fuzz/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static slatetrain::fuzz::MemoryFile file;
  try {
    slatetrain::NpzArchive archive(file.hold(data, size));
    for (const std::string& name : archive.array_names()) {
      try {
        (void)archive.compressed(name);
        (void)archive.has_array(name);
        slatetrain::fuzz::read_all_rows(*archive.open(name));
      } catch (const slatetrain::Error&) {
        // One bad member: the others are still read.
      }
    }
  } catch (const slatetrain::Error&) {
  }
  return 0;
}
