// Option parsing of a subcommand with CLI11 (argv[0] is the subcommand's name): the one place
// that turns CLI11's outcome into the exit codes every command uses.
#pragma once

#include <string>
#include <vector>

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

// The options of every command that uses a saved checkpoint (evaluate, recommend, export):
// CONFIG, --checkpoint FILE (required) and --set KEY=VALUE (repeatable, one value per use, so
// that CONFIG may follow it).
inline void add_checkpoint_model_options(CLI::App& app, std::string& config_path,
                                         std::string& checkpoint,
                                         std::vector<std::string>& overrides) {
  app.add_option("CONFIG", config_path, "the run configuration (YAML)")
      ->required()
      ->type_name("FILE");
  app.add_option("--checkpoint", checkpoint,
                 "the checkpoint (e.g. RUN_DIR/checkpoints/best.h5; docs/CHECKPOINT.md)")
      ->required()
      ->type_name("FILE");
  app.add_option("--set", overrides,
                 "override a configuration key (repeatable), e.g. --set data.path=DIR; a "
                 "checkpoint of another dataset is refused unless "
                 "--set data.allow_other_dataset=true")
      ->type_name("KEY=VALUE")
      ->allow_extra_args(false);
}

}  // namespace slatetrain
