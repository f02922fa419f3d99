// slateconvert verify: proves a conversion reproduces the source exactly (data/verify.hpp).
#include <cstdio>
#include <string>

#include "data/verify.hpp"
#include "launch/command_line.hpp"
#include "launch/slateconvert_commands.hpp"

namespace slatetrain {

int verify_command(int argc, char** argv) {
  VerifyOptions options;
  const auto app = make_command_line(
      "slateconvert verify",
      "Re-reads every source array (data.npz, itemattr.npz, ind2val.json in --input) and proves\n"
      "that the converted directory (--output) reproduces each value exactly: stored steps and\n"
      "slates equal, padding zero, categories bitwise equal; checks the CRC-32 of every output\n"
      "file, the SHA-256 of the sources, the split and the manifest's counts. Exit 0 when all\n"
      "holds, 1 with the first mismatch (array, user row, step) otherwise.\n"
      "\n"
      "For a `slateconvert sessions` output, --input takes the converted files in their order:\n"
      "they are read again with the recorded options, every kept user's events are compared\n"
      "with the shards (items, times, weights, types, order), items.h5's ids and groups with\n"
      "the source, the filter counts recounted and the k-core thresholds checked "
      "(docs/FORMAT.md).\n");
  app->add_option("--input", options.inputs,
                  "the FINN.no source directory, or a session conversion's\n"
                  "source files in the order they were converted")
      ->type_name("PATH")
      ->required();
  app->add_option("--output", options.output, "the converted directory")
      ->type_name("DIR")
      ->required();
  int64_t memory_megabytes = options.memory_bytes >> 20;
  add_number_option(*app, "--memory-mb", memory_megabytes,
                    "sessions: megabytes of events held at once (less means\n"
                    "more passes over the source)",
                    "M")
      ->check(within(between(1, kMostMemoryMegabytes)));
  bool quiet = false;
  app->add_flag("--quiet", quiet, "no progress lines");
  if (const auto exit_code = parse_command_line(*app, argc, argv)) return *exit_code;
  options.input = options.inputs.front();
  options.memory_bytes = memory_megabytes << 20;
  options.show_progress = !quiet;

  const VerifyReport report = verify_conversion(options);
  if (!report.ok()) {
    for (const std::string& problem : report.problems)
      std::fprintf(stderr, "slateconvert verify: mismatch: %s\n", problem.c_str());
    std::printf("verify: FAILED (%zu problems) for %s against %s\n", report.problems.size(),
                options.output.c_str(), options.input.c_str());
    return 1;
  }
  if (report.session_conversion) {
    std::printf(
        "verify: OK: %s holds exactly the events of its %zu source files (%lld users, %lld "
        "events compared; checksums, counts and filters hold)\n",
        options.output.c_str(), options.inputs.size(),
        static_cast<long long>(report.users_compared),
        static_cast<long long>(report.steps_compared));
    return 0;
  }
  std::printf(
      "verify: OK: %s reproduces %s exactly (%lld users, %lld steps, %lld slate values "
      "compared; checksums and counts hold)\n",
      options.output.c_str(), options.input.c_str(), static_cast<long long>(report.users_compared),
      static_cast<long long>(report.steps_compared),
      static_cast<long long>(report.slate_values_compared));
  return 0;
}

}  // namespace slatetrain
