// slateconvert check: whether a converted directory is intact, without its source
// (data/check_directory.hpp).
#include <cstdio>
#include <iostream>
#include <string>

#include "data/check_directory.hpp"
#include "launch/slateconvert_commands.hpp"

namespace slatetrain {

namespace {

constexpr const char* kCheckUsage =
    "usage: slateconvert check DIR [--quiet]\n"
    "\n"
    "Checks a directory written by `slateconvert finn` or `sessions` without its source:\n"
    "manifest.json loads; items.h5 and every shard are present with the size and CRC-32 the\n"
    "manifest records; each shard is the one the manifest lists (the conversion id inside the\n"
    "file, its index, row range, steps and slate items); its offsets hold; every click and\n"
    "slate id lies in [0, num_items). Exit 0 when all holds, 1 with every problem on stderr\n"
    "(file, and for ids the user row and step). `slateconvert verify` also compares the\n"
    "values with the source.\n";

}  // namespace

int check_command(int argc, char** argv) {
  std::string directory;
  bool quiet = false;
  for (int i = 1; i < argc; ++i) {
    const std::string argument = argv[i];
    if (argument == "--help" || argument == "-h") {
      std::fputs(kCheckUsage, stdout);
      return 0;
    }
    if (argument == "--quiet") {
      quiet = true;
      continue;
    }
    if (!argument.empty() && argument[0] == '-') {
      std::fprintf(stderr, "slateconvert check: unknown option '%s'\n\n%s", argument.c_str(),
                   kCheckUsage);
      return 2;
    }
    if (!directory.empty()) {
      std::fprintf(stderr, "slateconvert check: one directory only\n\n%s", kCheckUsage);
      return 2;
    }
    directory = argument;
  }
  if (directory.empty()) {
    std::fputs(kCheckUsage, stderr);
    return 2;
  }
  const CheckReport report = check_converted_directory(directory, quiet ? nullptr : &std::cout);
  for (const std::string& warning : report.warnings)
    std::fprintf(stderr, "slateconvert check: warning: %s\n", warning.c_str());
  if (!report.ok()) {
    for (const std::string& problem : report.problems)
      std::fprintf(stderr, "slateconvert check: %s\n", problem.c_str());
    std::printf("check: FAILED (%zu problems) for %s\n", report.problems.size(), directory.c_str());
    return 1;
  }
  std::printf(
      "check: OK: %s is intact (%lld shards: sizes, CRC-32, identity; %lld users, %lld steps, "
      "%lld ids in range)\n",
      directory.c_str(), static_cast<long long>(report.shards_checked),
      static_cast<long long>(report.users_checked), static_cast<long long>(report.steps_checked),
      static_cast<long long>(report.ids_checked));
  return 0;
}

}  // namespace slatetrain
