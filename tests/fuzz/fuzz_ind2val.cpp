// Fuzz target: ind2val.json as the FINN converter reads it (data/index_to_value.hpp): the JSON,
// the two maps, the interaction-type keys and the category lookup.
#include <cstdint>
#include <cstring>
#include <sstream>
#include <string>

#include "core/error.hpp"
#include "data/index_to_value.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  try {
    const nlohmann::json ind2val = slatetrain::read_index_to_value(in, "fuzz/ind2val.json");
    (void)slatetrain::known_interaction_types(ind2val, "fuzz/ind2val.json");
    // Category values as itemattr.npz holds them: the input's first bytes as doubles, and a few
    // edge values.
    for (const double value : {0.0, 1.0, -1.0, 2.5, 1e300, -0.0}) {
      (void)slatetrain::category_is_known(ind2val, value);
    }
    for (size_t at = 0; at + sizeof(double) <= std::min<size_t>(size, 64); at += sizeof(double)) {
      double value;
      std::memcpy(&value, data + at, sizeof value);
      (void)slatetrain::category_is_known(ind2val, value);
    }
  } catch (const slatetrain::Error&) {
  }
  return 0;
}
