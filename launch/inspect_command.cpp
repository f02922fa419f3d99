// slateconvert inspect: a summary of a converted directory (data/inspect.hpp).
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "data/inspect.hpp"
#include "launch/slateconvert_commands.hpp"

namespace slatetrain {

namespace {

constexpr const char* kInspectUsage =
    "usage: slateconvert inspect DIR\n"
    "\n"
    "Prints what a directory written by `slateconvert finn` or `sessions` holds: users, items,\n"
    "interactions, split sizes, the slate-length histogram, anomaly counts with examples, and\n"
    "the files, each checked (present, size, CRC-32, shard identity). Exit 1 when a file is\n"
    "missing or corrupt.\n";

}  // namespace

int inspect_command(int argc, char** argv) {
  std::string directory;
  for (int i = 1; i < argc; ++i) {
    const std::string argument = argv[i];
    if (argument == "--help" || argument == "-h") {
      std::fputs(kInspectUsage, stdout);
      return 0;
    }
    if (!argument.empty() && argument[0] == '-') {
      std::fprintf(stderr, "slateconvert inspect: unknown option '%s'\n\n%s", argument.c_str(),
                   kInspectUsage);
      return 2;
    }
    if (!directory.empty()) {
      std::fprintf(stderr, "slateconvert inspect: one directory only\n\n%s", kInspectUsage);
      return 2;
    }
    directory = argument;
  }
  if (directory.empty()) {
    std::fputs(kInspectUsage, stderr);
    return 2;
  }
  const std::vector<std::string> problems = inspect_directory(directory, std::cout);
  for (const std::string& problem : problems)
    std::fprintf(stderr, "slateconvert inspect: %s\n", problem.c_str());
  if (!problems.empty()) {
    std::fprintf(stderr,
                 "slateconvert inspect: %zu files missing or corrupt (`slateconvert check %s` "
                 "checks everything)\n",
                 problems.size(), directory.c_str());
    return 1;
  }
  return 0;
}

}  // namespace slatetrain
