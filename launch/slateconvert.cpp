// slateconvert: the FINN-format generator and the converter to sharded HDF5.
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>

#include "core/error.hpp"
#include "launch/slateconvert_commands.hpp"

namespace {

constexpr const char* kUsage =
    "usage: slateconvert COMMAND [options]\n"
    "\n"
    "commands:\n"
    "  synth    write a generated dataset in the published FINN.no format\n"
    "           (data.npz, itemattr.npz, ind2val.json, truth.json)\n"
    "  finn     convert the FINN.no files to sharded HDF5 with a manifest\n"
    "  sessions convert a session or rating log (RecBole, MovieLens, Amazon-M2, CSV) to\n"
    "           sharded HDF5 without slates\n"
    "  verify   prove that converted shards reproduce every source array exactly\n"
    "  check    check a converted directory without its source (sizes, CRC-32, shard\n"
    "           identity, ids in range)\n"
    "  inspect  print a summary of a converted directory\n"
    "\n"
    "`slateconvert COMMAND --help` describes each command's options.\n";

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0) {
    std::fputs(kUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  const std::string command = argv[1];
  try {
    // Each command sees its own name as argv[0].
    if (command == "synth") return slatetrain::synth_command(argc - 1, argv + 1);
    if (command == "finn") return slatetrain::finn_command(argc - 1, argv + 1);
    if (command == "sessions") return slatetrain::sessions_command(argc - 1, argv + 1);
    if (command == "verify") return slatetrain::verify_command(argc - 1, argv + 1);
    if (command == "check") return slatetrain::check_command(argc - 1, argv + 1);
    if (command == "inspect") return slatetrain::inspect_command(argc - 1, argv + 1);
    std::fprintf(stderr, "slateconvert: unknown command '%s'\n\n%s", command.c_str(), kUsage);
    return 2;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "slateconvert %s: error: %s\n", command.c_str(), error.what());
    return 1;
  }
}
