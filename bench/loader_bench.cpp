// loader_bench: how fast one rank's SlateLoader delivers batches of a converted directory,
// in interactions (real steps) per second, with nothing consuming them. Training consumes at
// its own rate (measured by the trainer); the loader should be at least 10x faster.
//
// usage: loader_bench DIR [--phase train|valid|test] [--batch-users N] [--epochs N]
//                         [--rank R --world-size W] [--prefetch N] [--seed S] [--no-shuffle]
//                         [--no-verify]
// --no-verify skips the CRC-32 check of the shards before the first batch (open_seconds, the
// constructor's time, holds it otherwise). Simulating rank R of W reads exactly that rank's share
// (the loader needs no communication besides agreeing on the batch count). It first checks one
// epoch (each user once, the batch counts, and over the whole directory the manifest's interaction
// count), then times the following epochs and prints one line of key=value pairs.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>
#include <unordered_set>

#include "core/error.hpp"
#include "core/progress.hpp"
#include "data/slate_loader.hpp"

namespace slatetrain {
namespace {

constexpr const char* kUsage =
    "usage: loader_bench DIR [--phase train|valid|test] [--batch-users N] [--epochs N]\n"
    "                        [--rank R --world-size W] [--prefetch N] [--seed S] [--no-shuffle]\n"
    "                        [--no-verify]\n";

LoaderPhase parse_phase(const std::string& name) {
  if (name == "train") return LoaderPhase::kTrain;
  if (name == "valid") return LoaderPhase::kValid;
  if (name == "test") return LoaderPhase::kTest;
  RAISE("--phase must be train, valid or test, not '" << name << "'");
}

int64_t parse_integer(const char* flag, const char* text) {
  char* end = nullptr;
  const long long value = std::strtoll(text, &end, 10);
  REQUIRE(end != text && *end == '\0', flag << " needs an integer, not '" << text << "'");
  return value;
}

struct EpochResult {
  int64_t batches = 0, users = 0, interactions = 0;
  double seconds = 0;
};

// One epoch; with `check`, every delivered batch's counts and rows are verified.
EpochResult run_epoch(SlateLoader& loader, int64_t epoch, bool check) {
  EpochResult result;
  std::unordered_set<int64_t> seen;
  SequenceBatch batch;
  Progress progress("loader epoch " + std::to_string(epoch), loader.batches_per_epoch(), "batches");
  loader.start_epoch(epoch);
  while (loader.next(batch)) {
    ++result.batches;
    result.users += batch.valid_users;
    result.interactions += batch.real_steps;
    if (check) {
      int64_t real_steps = 0;
      for (const int32_t click : batch.item) real_steps += click != 0;
      REQUIRE(real_steps == batch.real_steps, "batch " << result.batches - 1 << " counts "
                                                       << batch.real_steps << " real steps, has "
                                                       << real_steps);
      for (int64_t b = 0; b < batch.valid_users; ++b)
        REQUIRE(seen.insert(batch.user_row[static_cast<size_t>(b)]).second,
                "user row " << batch.user_row[static_cast<size_t>(b)] << " delivered twice");
    }
    progress.update(result.batches);
  }
  progress.finish();
  result.seconds = progress.elapsed_seconds();
  if (check) {
    REQUIRE(result.batches == loader.batches_per_epoch(),
            result.batches << " batches, expected " << loader.batches_per_epoch());
    REQUIRE(result.users == loader.users_on_this_rank(),
            result.users << " users, expected " << loader.users_on_this_rank());
  }
  return result;
}

int run(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0) {
    std::fputs(kUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  LoaderOptions options;
  options.directory = argv[1];
  int64_t epochs = 1;
  for (int i = 2; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--no-shuffle") {
      options.shuffle = false;
      continue;
    }
    if (flag == "--no-verify") {
      options.verify_shards = false;
      continue;
    }
    REQUIRE(i + 1 < argc, flag << " needs a value\n" << kUsage);
    const char* value = argv[++i];
    if (flag == "--phase") {
      options.phase = parse_phase(value);
    } else if (flag == "--batch-users") {
      options.batch_users = parse_integer("--batch-users", value);
    } else if (flag == "--epochs") {
      epochs = parse_integer("--epochs", value);
    } else if (flag == "--rank") {
      options.rank = static_cast<int>(parse_integer("--rank", value));
    } else if (flag == "--world-size") {
      options.world_size = static_cast<int>(parse_integer("--world-size", value));
    } else if (flag == "--prefetch") {
      options.prefetch_batches = static_cast<int>(parse_integer("--prefetch", value));
    } else if (flag == "--seed") {
      options.seed = static_cast<uint64_t>(parse_integer("--seed", value));
    } else {
      RAISE("unknown option '" << flag << "'\n" << kUsage);
    }
  }
  REQUIRE(epochs >= 1, "--epochs must be at least 1");

  const auto open_start = std::chrono::steady_clock::now();
  SlateLoader loader(options, nullptr);
  const double open_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - open_start).count();
  // The checked epoch (also warms the file cache, as a training run's first epoch would).
  const EpochResult checked = run_epoch(loader, 0, /*check=*/true);
  if (options.phase == LoaderPhase::kTrain && loader.world_size() == 1)
    REQUIRE(checked.interactions == loader.manifest().num_interactions,
            "delivered " << checked.interactions << " interactions, the manifest says "
                         << loader.manifest().num_interactions);

  const LoaderOptions& o = options;
  const auto before = loader.stats();
  EpochResult timed;
  for (int64_t epoch = 1; epoch <= epochs; ++epoch) {
    const EpochResult result = run_epoch(loader, epoch, /*check=*/false);
    timed.batches += result.batches;
    timed.users += result.users;
    timed.interactions += result.interactions;
    timed.seconds += result.seconds;
  }
  const auto after = loader.stats();
  const double busy =
      (after.read_seconds - before.read_seconds) + (after.decode_seconds - before.decode_seconds);
  std::printf(
      "loader_bench directory=%s phase=%s rank=%d world_size=%d batch_users=%lld epochs=%lld "
      "batches=%lld users=%lld interactions=%lld seconds=%.3f interactions_per_second=%.0f "
      "busy_interactions_per_second=%.0f read_seconds=%.3f decode_seconds=%.3f "
      "wait_seconds=%.3f verify=%d open_seconds=%.3f first_epoch_seconds=%.3f\n",
      o.directory.c_str(), loader_phase_name(o.phase), loader.rank(), loader.world_size(),
      static_cast<long long>(o.batch_users), static_cast<long long>(epochs),
      static_cast<long long>(timed.batches), static_cast<long long>(timed.users),
      static_cast<long long>(timed.interactions), timed.seconds,
      timed.seconds > 0 ? timed.interactions / timed.seconds : 0.0,
      busy > 0 ? timed.interactions / busy : 0.0, after.read_seconds - before.read_seconds,
      after.decode_seconds - before.decode_seconds, after.wait_seconds - before.wait_seconds,
      o.verify_shards ? 1 : 0, open_seconds, checked.seconds);
  return 0;
}

}  // namespace
}  // namespace slatetrain

int main(int argc, char** argv) {
  try {
    return slatetrain::run(argc, argv);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "loader_bench: error: %s\n", error.what());
    return 1;
  }
}
