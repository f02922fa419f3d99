// Option parsing of a subcommand with CLI11 (argv[0] is the subcommand's name): the one place
// that turns CLI11's outcome into the exit codes every command uses.
#pragma once

#include <CLI/CLI.hpp>

namespace slatetrain {

// Parses argv with `app`. Returns -1 when the command should run; otherwise the process exit
// code: 0 after --help (printed), 2 for unusable arguments (CLI11 prints the error naming the
// option, and where to find --help).
inline int parse_command_line(CLI::App& app, int argc, char** argv) {
  try {
    app.parse(argc, argv);
    return -1;
  } catch (const CLI::ParseError& error) {
    return app.exit(error) == 0 ? 0 : 2;
  }
}

}  // namespace slatetrain
