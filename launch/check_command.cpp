// slateconvert check: whether a converted directory is intact, without its source
// (data/check_directory.hpp).
#include <cstdio>
#include <iostream>
#include <string>

#include "data/check_directory.hpp"
#include "launch/command_line.hpp"
#include "launch/slateconvert_commands.hpp"

namespace slatetrain {

int check_command(int argc, char** argv) {
  std::string directory;
  bool quiet = false;
  const auto app = make_command_line(
      "slateconvert check",
      "Checks a directory written by `slateconvert finn` or `sessions` without its source:\n"
      "manifest.json loads; items.h5 and every shard are present with the size and CRC-32 the\n"
      "manifest records; each shard is the one the manifest lists (the conversion id inside the\n"
      "file, its index, row range, steps and slate items); its offsets hold; every click and\n"
      "slate id lies in [0, num_items). Exit 0 when all holds, 1 with every problem on stderr\n"
      "(file, and for ids the user row and step). `slateconvert verify` also compares the\n"
      "values with the source.\n");
  app->add_option("DIR", directory, "the converted directory")->required();
  app->add_flag("--quiet", quiet, "no per-file lines on stdout");
  if (const auto exit_code = parse_command_line(*app, argc, argv)) return *exit_code;
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
