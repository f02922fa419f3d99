// Fuzz target: the YAML run configuration (launch/run_config.hpp) with --set overrides. The
// input is the YAML text; after a NUL byte, NUL-separated "section.key=value" overrides follow.
// A configuration that loads must load again from its own effective YAML to the same YAML.
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "launch/run_config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  const size_t end_of_yaml = input.find('\0');
  const std::string yaml = input.substr(0, end_of_yaml);
  std::vector<std::string> overrides;
  for (size_t start = end_of_yaml; start != std::string::npos && start < input.size();) {
    const size_t next = input.find('\0', start + 1);
    overrides.push_back(
        input.substr(start + 1, next == std::string::npos ? next : next - start - 1));
    start = next;
  }
  slatetrain::RunConfig config;
  try {
    config = slatetrain::parse_run_config(yaml, "fuzz.yaml", overrides);
  } catch (const slatetrain::Error&) {
    return 0;
  }
  const slatetrain::RunConfig again = slatetrain::parse_run_config(config.yaml, "effective", {});
  if (again.yaml != config.yaml) {
    std::cerr << "effective YAML does not load to itself:\n"
              << config.yaml << "\n---\n"
              << again.yaml << "\n";
    std::abort();
  }
  return 0;
}
