// Fuzz target: a checkpoint file's raw bytes, from a file image in memory, read as a resuming run
// reads it (dist/checkpoint_file.hpp). HDF5 1.10 parses the bytes, and its own parser crashes on
// some malformed files (bench/RESULTS.md lists them); those are HDF5's findings, so this target
// is for local runs and is not in `ctest -L fuzz` (its label is hdf5-bytes). fuzz_checkpoint_fields
// fuzzes our validation of the contents with files HDF5 itself wrote.
#include <cstdint>

#include "core/error.hpp"
#include "dist/checkpoint_file.hpp"
#include "tests/fuzz/checkpoint_reading.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    slatetrain::CheckpointFileReader reader("fuzz/checkpoint.h5", data, size);
    slatetrain::fuzz::read_whole_checkpoint(reader);
  } catch (const slatetrain::Error&) {
  }
  return 0;
}
