// `slateconvert verify`: proves that a converted directory reproduces every source array
// exactly. Session conversions (dataset other than finn) are verified by
// data/session_verify.hpp; this header's description is the FINN one. It re-reads data.npz,
// itemattr.npz and ind2val.json, rebuilds the dense [U, T] and [U, T, S] arrays from the shards
// (zeros where nothing is stored) and compares every value; checks every output file's size and
// CRC-32, the source files' sizes and SHA-256, the split, and recounts what the manifest states
// (steps, interactions, slate items, the slate-length histogram, the anomaly counts).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace slatetrain {

struct VerifyOptions {
  std::string input;  // the FINN.no source directory
  // A session conversion's source files, in the order they were converted (empty: {input}).
  std::vector<std::string> inputs;
  std::string output;  // the converted directory
  int64_t block_users = 16384;
  // Sessions: the bytes of events held at once (less means more passes over the source).
  int64_t memory_bytes = int64_t{1} << 30;
  bool show_progress = true;
};

struct VerifyReport {
  // Each problem found; data comparison stops at the first mismatching value.
  std::vector<std::string> problems;
  int64_t users_compared = 0;
  int64_t steps_compared = 0;  // source steps (stored or padding), or session events, compared
  int64_t slate_values_compared = 0;
  bool session_conversion = false;  // verified as a `slateconvert sessions` output
  bool ok() const { return problems.empty(); }
};

// Throws Error only when it cannot run at all (unreadable manifest or source); every mismatch
// is reported in the returned report.
VerifyReport verify_conversion(const VerifyOptions& options);

}  // namespace slatetrain
