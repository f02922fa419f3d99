// slatetrain: distributed training of slate recommenders.
//   mpirun -np 8 slatetrain configs/gru.yaml [--set key=value ...] [--resume | --overwrite]
//   mpirun -np 2 slatetrain evaluate configs/gru.yaml --checkpoint FILE [--split valid|test]
//   mpirun -np 2 slatetrain recommend configs/gru.yaml --checkpoint FILE --k 10 [...]
//   slatetrain export configs/gru.yaml --checkpoint FILE --output DIR
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "dist/mpi_session.hpp"
#include "launch/evaluate_command.hpp"
#include "launch/index_command.hpp"
#include "launch/export_command.hpp"
#include "launch/recommend_command.hpp"
#include "launch/run_config.hpp"
#include "launch/run_devices.hpp"
#include "launch/split_requirements.hpp"
#include "launch/stop_signal.hpp"
#include "launch/trainer.hpp"

namespace {

constexpr const char* kUsage =
    "usage: slatetrain CONFIG [--set key=value ...] [--resume | --overwrite]\n"
    "       slatetrain evaluate CONFIG --checkpoint FILE [--split valid|test] [--set ...]\n"
    "                  (a saved checkpoint's metrics; slatetrain evaluate --help)\n"
    "       slatetrain index CONFIG --checkpoint FILE --output FILE [--kind flat|hnsw|ivf]\n"
    "                  (a FAISS index of the item vectors; slatetrain index --help)\n"
    "       slatetrain recommend CONFIG --checkpoint FILE --k K [--split test|valid |\n"
    "                  --input HISTORIES.jsonl] [--output FILE] [--exclude-seen true|false]\n"
    "                  (top-k items in the source's ids; slatetrain recommend --help)\n"
    "       slatetrain export CONFIG --checkpoint FILE --output DIR [--force]\n"
    "                  (the model as NumPy files and JSON; slatetrain export --help)\n"
    "\n"
    "Trains the model CONFIG describes on the ranks of an mpirun / srun launch (or one\n"
    "process): the item table sharded over ranks, dense layers replicated.\n"
    "\n"
    "  --set key=value  override a configuration key (repeatable), e.g. --set model.dim=64\n"
    "  --resume         continue from the newest checkpoint in run.dir (fresh start if none)\n"
    "  --overwrite      start afresh in a run.dir that holds another run's checkpoints, moving\n"
    "                   them aside to run.dir/replaced/<time>/ (without it: refused)\n"
    "  --help           this text and every configuration key\n"
    "  --config-reference  print docs/CONFIG.md (every key, type, range, default) and exit\n"
    "\n"
    "The last line on stdout is a JSON summary (valid, test and popularity metrics,\n"
    "interactions_per_s, wall_s). SIGTERM or SIGUSR1 checkpoint at the next step and exit 0.\n"
    "\n"
    "configuration keys:\n";

struct Arguments {
  std::string config_path;
  std::vector<std::string> overrides;
  bool resume = false;
  bool overwrite = false;
};

// Returns false (after printing why) when the arguments are unusable.
bool parse_arguments(int argc, char** argv, Arguments& arguments) {
  for (int i = 1; i < argc; ++i) {
    const std::string argument = argv[i];
    if (argument == "--set" && i + 1 < argc) {
      arguments.overrides.push_back(argv[++i]);
    } else if (argument.rfind("--set=", 0) == 0) {
      arguments.overrides.push_back(argument.substr(6));
    } else if (argument == "--resume") {
      arguments.resume = true;
    } else if (argument == "--overwrite") {
      arguments.overwrite = true;
    } else if (!argument.empty() && argument[0] != '-' && arguments.config_path.empty()) {
      arguments.config_path = argument;
    } else {
      std::fprintf(stderr, "slatetrain: unexpected argument '%s'\n%s", argument.c_str(), kUsage);
      return false;
    }
  }
  if (arguments.resume && arguments.overwrite) {
    std::fprintf(stderr, "slatetrain: --resume and --overwrite exclude each other\n");
    return false;
  }
  if (arguments.config_path.empty()) {
    std::fprintf(stderr, "slatetrain: no configuration file given\n\n%s", kUsage);
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::strcmp(argv[1], "evaluate") == 0) {
    return slatetrain::evaluate_command(argc - 1, argv + 1);
  }
  if (argc > 1 && std::strcmp(argv[1], "index") == 0) {
    return slatetrain::index_command(argc - 1, argv + 1);
  }
  if (argc > 1 && std::strcmp(argv[1], "recommend") == 0) {
    return slatetrain::recommend_command(argc - 1, argv + 1);
  }
  if (argc > 1 && std::strcmp(argv[1], "export") == 0) {
    return slatetrain::export_command(argc - 1, argv + 1);
  }
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) {
      std::printf("%s%s", kUsage, slatetrain::describe_run_config_keys().c_str());
      return 0;
    }
    if (std::strcmp(argv[i], "--config-reference") == 0) {
      std::printf("%s", slatetrain::config_reference_markdown().c_str());
      return 0;
    }
  }
  Arguments arguments;
  if (!parse_arguments(argc, argv, arguments)) return 2;

  slatetrain::MpiSession mpi(&argc, &argv);
  slatetrain::install_stop_signal_handlers();
  return slatetrain::run_or_abort([&] {
    using namespace slatetrain;
    const RunConfig config = load_run_config(arguments.config_path, arguments.overrides);
    require_needed_splits(config, Manifest::load(config.data.path));
    RunDevices devices(config);
    const RunStart start = arguments.resume      ? RunStart::kResume
                           : arguments.overwrite ? RunStart::kOverwrite
                                                 : RunStart::kFresh;
    Trainer trainer(config, devices.host(), devices.device_communicator(), devices.backend(),
                    start);
    if (arguments.resume) trainer.resume();
    return trainer.run();
  });
}
