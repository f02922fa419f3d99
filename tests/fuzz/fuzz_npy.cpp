// Fuzz target: a single .npy file (magic, version, header length, the header dict, the data).
#include <cstdint>

#include "core/error.hpp"
#include "data/npz_reader.hpp"
#include "tests/fuzz/fuzz_read_rows.hpp"
#include "tests/fuzz/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static slatetrain::fuzz::MemoryFile file;
  try {
    slatetrain::fuzz::read_all_rows(*slatetrain::open_npy_file(file.hold(data, size)));
  } catch (const slatetrain::Error&) {
  }
  return 0;
}
