// Fuzz target: manifest.json as Manifest::load reads it (JSON text, then every key typed and
// checked). What loads must survive the round trip the converter relies on: to_json() of a
// loaded manifest loads again to the same JSON.
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <string>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "data/manifest.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using nlohmann::json;
  json parsed;
  try {
    parsed = json::parse(data, data + size);
  } catch (const json::exception&) {
    return 0;  // Manifest::load turns this into an Error naming the file
  }
  slatetrain::Manifest manifest;
  try {
    manifest = slatetrain::Manifest::from_json(parsed, "fuzz/manifest.json");
  } catch (const slatetrain::Error&) {
    return 0;
  }
  const json written = manifest.to_json();
  const json again = slatetrain::Manifest::from_json(written, "round trip").to_json();
  if (again != written) {
    std::cerr << "manifest round trip differs:\n"
              << written.dump(1) << "\n"
              << again.dump(1) << "\n";
    std::abort();
  }
  return 0;
}
