// The options of every command that uses a saved checkpoint (evaluate, recommend, export,
// index): CONFIG, --checkpoint FILE (required) and --set KEY=VALUE (repeatable, one value per
// use, so that CONFIG may follow it).
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace slatetrain {

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
                 "override a configuration key, e.g. --set data.path=DIR; a checkpoint of\n"
                 "another dataset is refused unless --set data.allow_other_dataset=true")
      ->type_name("KEY=VALUE")
      ->allow_extra_args(false);
}

}  // namespace slatetrain
