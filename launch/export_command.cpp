// `slatetrain export`: a checkpoint's model as NumPy files and JSON (launch/model_export.hpp,
// docs/USING_A_MODEL.md), for programs that use the model without slatetrain. The checkpoint is
// checked and loaded as `evaluate` loads it (on the ranks of a launch, any number); rank 0
// writes the directory.
#include "launch/export_command.hpp"

#include <string>
#include <vector>

#include "core/error.hpp"
#include "data/output_directory.hpp"
#include "dist/mpi_session.hpp"
#include "launch/checkpoint_model.hpp"
#include "launch/checkpoint_model_options.hpp"
#include "launch/command_line.hpp"
#include "launch/model_export.hpp"

namespace slatetrain {

namespace {

struct Arguments {
  std::string config_path;
  std::string checkpoint;
  std::string output;
  bool force = false;
  std::vector<std::string> overrides;
};

int export_model(const Arguments& arguments) {
  const RunConfig config = load_run_config(arguments.config_path, arguments.overrides);
  // Before any work, on every rank alike: the output may replace only an earlier export
  // (OutputDirectory checks again when it is made and at the rename).
  require_usable_output(arguments.output, arguments.force, OutputKind::kModelExport,
                        {arguments.checkpoint, config.data.path});
  // The export reads the weights from the file itself (rank 0, once); the model is built for
  // its checks and its parameters' names and shapes.
  const auto loaded =
      load_checkpoint_model(config, arguments.checkpoint, "export", LoadWeights::kNo);
  if (loaded->devices->host().rank() == 0) {
    write_model_export(*loaded, arguments.output, arguments.force);
  }
  return 0;
}

}  // namespace

int export_command(int argc, char** argv) {
  Arguments arguments;
  const auto command_line = make_command_line(
      "slatetrain export",
      "Writes a saved checkpoint's model as NumPy .npy files and JSON into DIR: items.npy (the\n"
      "item vectors [num_items, D] in global id order), item_ids.jsonl (each row's id and group\n"
      "in the source), one NAME.npy per dense parameter, and model.json (model kind, sizes,\n"
      "files, and how to compute a user vector and the scores; docs/USING_A_MODEL.md). DIR\n"
      "appears whole (written under a temporary name, then renamed). Runs on the ranks of an\n"
      "mpirun / srun launch or one process; rank 0 writes.");
  CLI::App& app = *command_line;
  add_checkpoint_model_options(app, arguments.config_path, arguments.checkpoint,
                               arguments.overrides);
  app.add_option("--output", arguments.output, "the export directory to write")
      ->required()
      ->type_name("DIR");
  app.add_flag("--force", arguments.force,
               "replace DIR when it is an earlier export holding nothing else (anything else is "
               "refused)");
  if (const auto exit_code = parse_command_line(app, argc, argv)) return *exit_code;
  MpiSession mpi(&argc, &argv);
  return run_or_abort([&] { return export_model(arguments); });
}

}  // namespace slatetrain
