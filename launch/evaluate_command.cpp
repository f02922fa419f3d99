// `slatetrain evaluate`: the evaluator on a saved checkpoint, distributed over the ranks of
// the launch as in training (any world size: the table is re-sharded as --resume does). It
// reads data.path and the checkpoint and nothing else: no run directory is locked, claimed,
// created or written, so it may evaluate a checkpoint of a run that is still training.
#include "launch/evaluate_command.hpp"

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "dist/mpi_session.hpp"
#include "launch/checkpoint_model.hpp"

namespace slatetrain {

namespace {

constexpr const char* kUsage =
    "usage: slatetrain evaluate CONFIG --checkpoint FILE [--split valid|test]\n"
    "                           [--set key=value ...]\n"
    "\n"
    "Evaluates the weights of a saved checkpoint (e.g. RUN_DIR/checkpoints/best.h5) on a split\n"
    "of CONFIG's data.path, on the ranks of an mpirun / srun launch (any number: the item table\n"
    "is re-sharded), as training's final evaluation does. The model is CONFIG's (with --set):\n"
    "it must have the checkpoint's shape. Read-only: run.dir is neither needed nor touched, so\n"
    "a running run's checkpoints can be evaluated.\n"
    "\n"
    "  --checkpoint FILE  the checkpoint (docs/CHECKPOINT.md)\n"
    "  --split NAME       test (default) or valid\n"
    "  --set key=value    override a configuration key (repeatable); a checkpoint of another\n"
    "                     dataset is refused unless --set data.allow_other_dataset=true\n"
    "  --help             this text\n"
    "\n"
    "The last line on stdout is JSON: split, metrics (the model's, as the training summary's\n"
    "test/valid), popularity (the baseline on the same split), checkpoint, step, run_id,\n"
    "dataset_id, data, world_size, device, evaluation_s.\n";

struct Arguments {
  std::string config_path;
  std::string checkpoint;
  std::string split = "test";
  std::vector<std::string> overrides;
};

// Returns false (after printing why) when the arguments are unusable.
bool parse_arguments(int argc, char** argv, Arguments& arguments) {
  for (int i = 1; i < argc; ++i) {
    const std::string argument = argv[i];
    const auto value = [&](const char* option, std::string& target) {
      const std::string prefix = std::string(option) + "=";
      if (argument == option && i + 1 < argc) {
        target = argv[++i];
        return true;
      }
      if (argument.rfind(prefix, 0) == 0) {
        target = argument.substr(prefix.size());
        return true;
      }
      return false;
    };
    std::string override_text;
    if (value("--set", override_text)) {
      arguments.overrides.push_back(override_text);
    } else if (value("--checkpoint", arguments.checkpoint)) {
      continue;
    } else if (value("--split", arguments.split)) {
      continue;
    } else if (!argument.empty() && argument[0] != '-' && arguments.config_path.empty()) {
      arguments.config_path = argument;
    } else {
      std::fprintf(stderr, "slatetrain evaluate: unexpected argument '%s'\n\n%s", argument.c_str(),
                   kUsage);
      return false;
    }
  }
  if (arguments.config_path.empty() || arguments.checkpoint.empty()) {
    std::fprintf(stderr, "slatetrain evaluate: %s\n\n%s",
                 arguments.config_path.empty() ? "no configuration file given"
                                               : "no --checkpoint FILE given",
                 kUsage);
    return false;
  }
  if (arguments.split != "test" && arguments.split != "valid") {
    std::fprintf(stderr, "slatetrain evaluate: --split %s: expected valid or test\n",
                 arguments.split.c_str());
    return false;
  }
  return true;
}

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

nlohmann::json to_json(const MetricMap& metrics) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [name, value] : metrics) out[name] = value;
  return out;
}

// Collective: the ranks load the checkpoint (launch/checkpoint_model.hpp) and evaluate; rank 0
// prints the JSON.
int evaluate(const Arguments& arguments) {
  const RunConfig config = load_run_config(arguments.config_path, arguments.overrides);
  const auto loaded = load_checkpoint_model(config, arguments.checkpoint, "evaluate");
  Communicator& host = loaded->devices->host();
  const bool root = host.rank() == 0;
  TrainedModel& trained = *loaded->trained;
  const CheckpointHeader& header = loaded->header;
  const std::string& dataset_id = loaded->dataset_id;
  RunDevices& devices = *loaded->devices;

  const LoaderPhase phase = arguments.split == "valid" ? LoaderPhase::kValid : LoaderPhase::kTest;
  const double start = now_seconds();
  const MetricMap metrics = trained.evaluator().evaluate_model(trained.model(), phase);
  const double evaluation_seconds = now_seconds() - start;
  const MetricMap popularity =
      trained.evaluator().evaluate_popularity(*trained.item_counts(), phase);
  if (root) {
    nlohmann::json summary;
    summary["split"] = arguments.split;
    summary["metrics"] = to_json(metrics);
    summary["popularity"] = to_json(popularity);
    summary["checkpoint"] = arguments.checkpoint;
    summary["step"] = header.step;
    summary["run_id"] = header.run_id;
    summary["checkpoint_dataset_id"] = header.dataset_id;
    summary["dataset_id"] = dataset_id;
    summary["data"] = config.data.path;
    summary["world_size"] = host.world_size();
    summary["written_by_world_size"] = header.world_size;
    summary["device"] = devices.backend().name();
    summary["evaluation_s"] = evaluation_seconds;
    std::printf("%s\n", summary.dump().c_str());
    std::fflush(stdout);
  }
  return 0;
}

}  // namespace

int evaluate_command(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--help" || std::string(argv[i]) == "-h") {
      std::printf("%s", kUsage);
      return 0;
    }
  }
  Arguments arguments;
  if (!parse_arguments(argc, argv, arguments)) return 2;
  MpiSession mpi(&argc, &argv);
  return run_or_abort([&] { return evaluate(arguments); });
}

}  // namespace slatetrain
