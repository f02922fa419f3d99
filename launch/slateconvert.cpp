// slateconvert: the FINN-format generator and the converters to sharded HDF5. This file only
// dispatches on argv[1]; each command parses its own options (launch/NAME_command.cpp).
#include <cstdio>
#include <cstring>
#include <exception>

#include "launch/slateconvert_commands.hpp"

namespace {

struct Command {
  const char* name;
  int (*run)(int argc, char** argv);
  const char* summary;
};

constexpr Command kCommands[] = {
    {"synth", slatetrain::synth_command,
     "write a generated dataset in the published FINN.no format\n"
     "(data.npz, itemattr.npz, ind2val.json, truth.json)"},
    {"finn", slatetrain::finn_command, "convert the FINN.no files to sharded HDF5 with a manifest"},
    {"sessions", slatetrain::sessions_command,
     "convert a session or rating log (RecBole, MovieLens, Amazon-M2, CSV) to\n"
     "sharded HDF5 without slates"},
    {"verify", slatetrain::verify_command,
     "prove that converted shards reproduce every source array exactly"},
    {"check", slatetrain::check_command,
     "check a converted directory without its source (sizes, CRC-32, shard\n"
     "identity, ids in range)"},
    {"inspect", slatetrain::inspect_command, "print a summary of a converted directory"},
};

void print_usage(std::FILE* out) {
  std::fputs("usage: slateconvert COMMAND [options]\n\ncommands:\n", out);
  for (const Command& command : kCommands) {
    std::fprintf(out, "  %-8s ", command.name);
    for (const char* c = command.summary; *c != '\0'; ++c) {
      std::fputc(*c, out);
      if (*c == '\n') std::fputs("           ", out);  // under the summary's first line
    }
    std::fputs("\n", out);
  }
  std::fputs("\n`slateconvert COMMAND --help` describes each command's options.\n", out);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0) {
    print_usage(argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  for (const Command& command : kCommands) {
    if (std::strcmp(argv[1], command.name) != 0) continue;
    try {
      // Each command sees its own name as argv[0].
      return command.run(argc - 1, argv + 1);
    } catch (const std::exception& error) {
      std::fprintf(stderr, "slateconvert %s: error: %s\n", command.name, error.what());
      return 1;
    }
  }
  std::fprintf(stderr, "slateconvert: unknown command '%s'\n\n", argv[1]);
  print_usage(stderr);
  return 2;
}
