// slateconvert synth: a generated dataset in the published FINN.no format (data/generator.hpp).
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>

#include "core/error.hpp"
#include "data/generator.hpp"
#include "launch/slateconvert_commands.hpp"

namespace slatetrain {

namespace {

constexpr const char* kSynthUsage =
    "usage: slateconvert synth --output DIR [options]\n"
    "\n"
    "Writes data.npz, itemattr.npz, ind2val.json (the published FINN.no format), truth.json\n"
    "(the planted model's held-out scores: the choice model's and the oracle's) and\n"
    "generator.json into DIR, atomically.\n"
    "\n"
    "  --output DIR        where to write (required)\n"
    "  --users N           number of users (default 2000)\n"
    "  --items M           catalogue size including ids 0-2 (default 5000)\n"
    "  --groups G          item groups (default: 290 at full size, >= 50 items per group)\n"
    "  --full              the full FINN size: 2,277,645 users, 1,311,775 items, 290 groups\n"
    "  --seed S            random seed (default 1)\n"
    "  --int64             int64 arrays (default int32)\n"
    "  --stored            store members uncompressed (default: deflate, savez_compressed)\n"
    "  --level L           deflate level 0-9 (default 1)\n"
    "  --anomaly-rate R    per-step rate of each published anomaly (default 0.001)\n"
    "  --threads T         worker threads (default 2)\n"
    "  --split-seed S      seed of the published split for truth.json (default 0)\n"
    "  --truth-users N     rank at most N users per held-out split (default all)\n"
    "  --no-truth          skip truth.json\n"
    "  --oracle-rollouts N rollouts per held-out user for truth.json's oracle (default 500)\n"
    "  --no-oracle         skip the oracle (truth.json \"oracle\": null)\n"
    "  --force             replace a DIR an earlier synth wrote (nothing else)\n";

int64_t parse_integer(const char* option, const char* text) {
  char* end = nullptr;
  errno = 0;
  const long long value = std::strtoll(text, &end, 10);
  REQUIRE(end != text && *end == '\0', option << " expects an integer, got '" << text << "'");
  REQUIRE(errno != ERANGE, option << " is out of range: '" << text << "'");
  return value;
}

// Options held in an int: a value that does not fit is refused rather than truncated.
int parse_int(const char* option, const char* text) {
  const int64_t value = parse_integer(option, text);
  REQUIRE(value >= std::numeric_limits<int>::min() && value <= std::numeric_limits<int>::max(),
          option << " is out of range: '" << text << "'");
  return static_cast<int>(value);
}

double parse_number(const char* option, const char* text) {
  char* end = nullptr;
  const double value = std::strtod(text, &end);
  REQUIRE(end != text && *end == '\0', option << " expects a number, got '" << text << "'");
  return value;
}

}  // namespace

int synth_command(int argc, char** argv) {
  GeneratorOptions options;
  std::string output;
  bool force = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> const char* {
      REQUIRE(i + 1 < argc, arg << " needs a value");
      return argv[++i];
    };
    if (arg == "--help" || arg == "-h") {
      std::fputs(kSynthUsage, stdout);
      return 0;
    } else if (arg == "--output") {
      output = value();
    } else if (arg == "--users") {
      options.num_users = parse_integer("--users", value());
    } else if (arg == "--items") {
      options.num_items = parse_integer("--items", value());
    } else if (arg == "--groups") {
      options.num_groups = parse_int("--groups", value());
    } else if (arg == "--full") {
      options.num_users = kFullFinnUsers;
      options.num_items = kFullFinnItems;
      options.num_groups = kFullFinnGroups;
    } else if (arg == "--seed") {
      options.seed = static_cast<uint64_t>(parse_integer("--seed", value()));
    } else if (arg == "--int64") {
      options.int64 = true;
    } else if (arg == "--stored") {
      options.compress = false;
    } else if (arg == "--level") {
      options.deflate_level = parse_int("--level", value());
    } else if (arg == "--anomaly-rate") {
      options.anomaly_rate = parse_number("--anomaly-rate", value());
    } else if (arg == "--threads") {
      options.threads = parse_int("--threads", value());
    } else if (arg == "--split-seed") {
      options.split.seed = static_cast<uint64_t>(parse_integer("--split-seed", value()));
    } else if (arg == "--truth-users") {
      options.truth_users = parse_integer("--truth-users", value());
    } else if (arg == "--no-truth") {
      options.write_truth = false;
    } else if (arg == "--oracle-rollouts") {
      options.oracle_rollouts = parse_integer("--oracle-rollouts", value());
    } else if (arg == "--no-oracle") {
      options.write_oracle = false;
    } else if (arg == "--force") {
      force = true;
    } else {
      std::fprintf(stderr, "slateconvert synth: unknown option '%s'\n\n%s", arg.c_str(),
                   kSynthUsage);
      return 2;
    }
  }
  if (output.empty()) {
    std::fprintf(stderr, "slateconvert synth: --output is required\n\n%s", kSynthUsage);
    return 2;
  }
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
