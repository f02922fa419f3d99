// slateconvert verify: proves a conversion reproduces the source exactly (data/verify.hpp).
#include <cstdio>
#include <string>

#include "core/error.hpp"
#include "data/verify.hpp"
#include "launch/slateconvert_commands.hpp"

namespace slatetrain {

namespace {

constexpr const char* kVerifyUsage =
    "usage: slateconvert verify --input DIR --output DIR [--quiet]\n"
    "       slateconvert verify --input PATH... --output DIR [--memory-mb M] [--quiet]\n"
    "\n"
    "Re-reads every source array (data.npz, itemattr.npz, ind2val.json in --input) and proves\n"
    "that the converted directory (--output) reproduces each value exactly: stored steps and\n"
    "slates equal, padding zero, categories bitwise equal; checks the CRC-32 of every output\n"
    "file, the SHA-256 of the sources, the split and the manifest's counts. Exit 0 when all\n"
    "holds, 1 with the first mismatch (array, user row, step) otherwise.\n"
    "\n"
    "For a `slateconvert sessions` output, --input takes the converted files in their order:\n"
    "they are read again with the recorded options, every kept user's events are compared\n"
    "with the shards (items, times, weights, types, order), items.h5's ids and groups with\n"
    "the source, the filter counts recounted and the k-core thresholds checked (docs/FORMAT.md).\n"
    "--memory-mb bounds the events held at once (default 1024; less means more passes).\n";

}  // namespace

int verify_command(int argc, char** argv) {
  VerifyOptions options;
  for (int i = 1; i < argc; ++i) {
    const std::string option = argv[i];
    if (option == "--help" || option == "-h") {
      std::fputs(kVerifyUsage, stdout);
      return 0;
    } else if (option == "--input" && i + 1 < argc) {
      while (i + 1 < argc && argv[i + 1][0] != '-') options.inputs.push_back(argv[++i]);
      if (!options.inputs.empty()) options.input = options.inputs.front();
    } else if (option == "--output" && i + 1 < argc) {
      options.output = argv[++i];
    } else if (option == "--memory-mb" && i + 1 < argc) {
      const std::string text = argv[++i];
      REQUIRE(!text.empty() && text.find_first_not_of("0123456789") == std::string::npos,
              "--memory-mb expects a number, got '" << text << "'");
      options.memory_bytes = std::stoll(text) << 20;
    } else if (option == "--quiet") {
      options.show_progress = false;
    } else {
      std::fprintf(stderr, "slateconvert verify: unknown or incomplete option '%s'\n\n%s",
                   option.c_str(), kVerifyUsage);
      return 2;
    }
  }
  if (options.input.empty() || options.output.empty()) {
    std::fprintf(stderr, "slateconvert verify: --input and --output are required\n\n%s",
                 kVerifyUsage);
    return 2;
  }
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
