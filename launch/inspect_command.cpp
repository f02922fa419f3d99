// slateconvert inspect: a summary of a converted directory (data/inspect.hpp).
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "data/inspect.hpp"
#include "launch/command_line.hpp"
#include "launch/slateconvert_commands.hpp"

namespace slatetrain {

int inspect_command(int argc, char** argv) {
  std::string directory;
  const auto app = make_command_line(
      "slateconvert inspect",
      "Prints what a directory written by `slateconvert finn` or `sessions` holds: users, items,\n"
      "interactions, split sizes, the slate-length histogram, anomaly counts with examples, and\n"
      "the files, each checked (present, size, CRC-32, shard identity). Exit 1 when a file is\n"
      "missing or corrupt.\n");
  app->add_option("DIR", directory, "the converted directory")->required();
  if (const auto exit_code = parse_command_line(*app, argc, argv)) return *exit_code;
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
