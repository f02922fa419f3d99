// slateconvert inspect: a summary of a converted directory (data/inspect.hpp).
#include <cstdio>
#include <iostream>
#include <string>

#include "data/inspect.hpp"
#include "launch/slateconvert_commands.hpp"

namespace slatetrain {

namespace {

constexpr const char* kInspectUsage =
    "usage: slateconvert inspect DIR\n"
    "\n"
    "Prints what a directory written by `slateconvert finn` holds: users, items, interactions,\n"
    "split sizes, the slate-length histogram, anomaly counts with examples, and the shards.\n";

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
  inspect_directory(directory, std::cout);
  return 0;
}

}  // namespace slatetrain
