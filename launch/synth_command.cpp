// slateconvert synth: a generated dataset in the published FINN.no format (data/generator.hpp).
#include <algorithm>
#include <cstdio>
#include <limits>
#include <string>

#include "data/generator.hpp"
#include "launch/command_line.hpp"
#include "launch/slateconvert_commands.hpp"

namespace slatetrain {

int synth_command(int argc, char** argv) {
  GeneratorOptions options;
  std::string output;
  bool force = false;
  bool full = false;
  bool stored = false;
  bool no_truth = false;
  bool no_oracle = false;
  constexpr double kLargestId = std::numeric_limits<int32_t>::max();  // int32 arrays
  const auto app = make_command_line(
      "slateconvert synth",
      "Writes data.npz, itemattr.npz, ind2val.json (the published FINN.no format), truth.json\n"
      "(the planted model's held-out scores: the choice model's and the oracle's) and\n"
      "generator.json into DIR, atomically.\n");
  app->add_option("--output", output, "where to write")->type_name("DIR")->required();
  add_number_option(*app, "--users", options.num_users, "number of users", "N")
      ->check(within(between(1, kLargestId)));
  add_number_option(*app, "--items", options.num_items, "catalogue size including ids 0-2", "M")
      ->check(within(between(4, kLargestId)));
  add_number_option(*app, "--groups", options.num_groups,
                    "item groups (0: from the size: 290 at full size, >= 50 items each)", "G")
      ->check(within(at_least(0)));
  app->add_flag("--full", full,
                "the full FINN size: 2,277,645 users, 1,311,775 items, 290 groups\n"
                "(--users, --items and --groups, when given, still apply)");
  add_number_option(*app, "--seed", options.seed, "random seed", "S");
  app->add_flag("--int64", options.int64, "int64 arrays (default int32)");
  app->add_flag("--stored", stored,
                "store members uncompressed (default: deflate, savez_compressed)");
  add_number_option(*app, "--level", options.deflate_level, "deflate level", "L")
      ->check(within(between(0, 9)));
  add_number_option(*app, "--anomaly-rate", options.anomaly_rate,
                    "per-step rate of each published anomaly", "R")
      ->check(within(between(0, 0.5)));
  add_number_option(*app, "--threads", options.threads, "worker threads", "T")
      ->check(within(between(1, 256)));
  add_number_option(*app, "--split-seed", options.split.seed,
                    "seed of the published split for truth.json", "S");
  add_number_option(*app, "--truth-users", options.truth_users,
                    "rank at most N users per held-out split (0: all)", "N")
      ->check(within(at_least(0)));
  app->add_flag("--no-truth", no_truth, "skip truth.json");
  add_number_option(*app, "--oracle-rollouts", options.oracle_rollouts,
                    "rollouts per held-out user for truth.json's oracle", "N")
      ->check(within(between(2, 1e9)));
  app->add_flag("--no-oracle", no_oracle, "skip the oracle (truth.json \"oracle\": null)");
  app->add_flag("--force", force, "replace a DIR an earlier synth wrote (nothing else)");
  if (const auto exit_code = parse_command_line(*app, argc, argv)) return *exit_code;
  if (full) {
    if (app->count("--users") == 0) options.num_users = kFullFinnUsers;
    if (app->count("--items") == 0) options.num_items = kFullFinnItems;
    if (app->count("--groups") == 0) options.num_groups = kFullFinnGroups;
  }
  options.compress = !stored;
  options.write_truth = !no_truth;
  options.write_oracle = !no_oracle;

  const GeneratorReport report = generate_finn_dataset(options, output, force);
  const double steps = static_cast<double>(std::max<int64_t>(1, report.real_steps));
  std::printf(
      "synth: %lld users, %lld real steps (%.2f per user), no-click %.3f, rec %.3f, mean slate "
      "length %.2f; anomalies: length 26 %lld, click not in slate %lld, UNK in slate %lld; "
      "%.1f s (oracle %.1f s) -> %s\n",
      static_cast<long long>(report.users), static_cast<long long>(report.real_steps),
      report.real_steps / double(report.users), report.no_click_steps / steps,
      report.recommendation_steps / steps, report.slate_length_sum / steps,
      static_cast<long long>(report.anomalies.slate_length_over_slots),
      static_cast<long long>(report.anomalies.click_not_in_slate),
      static_cast<long long>(report.anomalies.unknown_in_slate), report.seconds,
      report.oracle_seconds, output.c_str());
  return 0;
}

}  // namespace slatetrain
