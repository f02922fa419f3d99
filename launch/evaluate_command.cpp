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
#include "launch/checkpoint_model_options.hpp"
#include "launch/command_line.hpp"

namespace slatetrain {

namespace {

struct Arguments {
  std::string config_path;
  std::string checkpoint;
  std::string split = "test";
  std::vector<std::string> overrides;
};

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
  Arguments arguments;
  const auto app = make_command_line(
      "slatetrain evaluate",
      "Evaluates the weights of a saved checkpoint (e.g. RUN_DIR/checkpoints/best.h5) on a split\n"
      "of CONFIG's data.path, on the ranks of an mpirun / srun launch (any number: the item table\n"
      "is re-sharded), as training's final evaluation does. The model is CONFIG's (with --set):\n"
      "it must have the checkpoint's shape. Read-only: run.dir is neither needed nor touched, so\n"
      "a running run's checkpoints can be evaluated.\n");
  app->footer(
      "The last line on stdout is JSON: split, metrics (the model's, as the training summary's\n"
      "test/valid), popularity (the baseline on the same split), checkpoint, step, run_id,\n"
      "dataset_id, data, world_size, device, evaluation_s.\n");
  add_checkpoint_model_options(*app, arguments.config_path, arguments.checkpoint,
                               arguments.overrides);
  app->add_option("--split", arguments.split, "the split to evaluate")
      ->type_name("NAME")
      ->check(one_of({"test", "valid"}))
      ->capture_default_str();
  if (const auto exit_code = parse_command_line(*app, argc, argv)) return *exit_code;
  MpiSession mpi(&argc, &argv);
  return run_or_abort([&] { return evaluate(arguments); });
}

}  // namespace slatetrain
