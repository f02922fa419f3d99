// `slatetrain [train] CONFIG`: trains the model CONFIG describes on the ranks of the launch.
#include "launch/train_command.hpp"

#include <cstdio>
#include <string>
#include <vector>

#include "dist/mpi_session.hpp"
#include "launch/command_line.hpp"
#include "launch/run_config.hpp"
#include "launch/run_devices.hpp"
#include "launch/split_requirements.hpp"
#include "launch/stop_signal.hpp"
#include "launch/trainer.hpp"

namespace slatetrain {

int train_command(int argc, char** argv) {
  std::string config_path;
  std::vector<std::string> overrides;
  bool resume = false;
  bool overwrite = false;
  // `slatetrain CONFIG` and `slatetrain train CONFIG` are the same command.
  const bool named = std::string(argv[0]) == "train";
  const auto app = make_command_line(
      named ? "slatetrain train" : "slatetrain",
      "Trains the model CONFIG describes on the ranks of an mpirun / srun launch (or one\n"
      "process): the item table sharded over ranks, dense layers replicated. `slatetrain\n"
      "CONFIG ...` and `slatetrain train CONFIG ...` are the same.\n");
  app->footer(
      "The last line on stdout is a JSON summary (valid, test and popularity metrics,\n"
      "interactions_per_s, wall_s). SIGTERM or SIGUSR1 checkpoint at the next step and exit 0.\n"
      "\n"
      "configuration keys:\n" +
      describe_run_config_keys());
  app->add_option("CONFIG", config_path, "the run's YAML configuration (configs/*.yaml)")
      ->required();
  app->add_option("--set", overrides, "override a configuration key, e.g. --set model.dim=64")
      ->type_name("key=value")
      ->allow_extra_args(false);
  CLI::Option* resume_option = app->add_flag(
      "--resume", resume, "continue from the newest checkpoint in run.dir (fresh start if none)");
  app->add_flag("--overwrite", overwrite,
                "start afresh in a run.dir that holds another run's\n"
                "checkpoints, moving them aside to run.dir/replaced/<time>/\n"
                "(without it: refused)")
      ->excludes(resume_option);
  app->add_flag_callback(
      "--config-reference",
      [] {
        std::fputs(config_reference_markdown().c_str(), stdout);
        throw CLI::Success();
      },
      "print docs/CONFIG.md (every key, type, range, default) and exit");
  if (const auto exit_code = parse_command_line(*app, argc, argv)) return *exit_code;

  MpiSession mpi(&argc, &argv);
  install_stop_signal_handlers();
  return run_or_abort([&] {
    const RunConfig config = load_run_config(config_path, overrides);
    require_needed_splits(config, Manifest::load(config.data.path));
    RunDevices devices(config);
    const RunStart start = resume      ? RunStart::kResume
                           : overwrite ? RunStart::kOverwrite
                                       : RunStart::kFresh;
    Trainer trainer(config, devices.host(), devices.device_communicator(), devices.backend(),
                    start);
    if (resume) trainer.resume();
    return trainer.run();
  });
}

}  // namespace slatetrain
