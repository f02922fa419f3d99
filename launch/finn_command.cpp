// slateconvert finn: the FINN.no files to sharded HDF5 (data/converter.hpp).
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <type_traits>

#include "core/error.hpp"
#include "data/converter.hpp"
#include "launch/slateconvert_commands.hpp"

namespace slatetrain {

namespace {

constexpr const char* kFinnUsage =
    "usage: slateconvert finn --input DIR --output DIR --shards N [options]\n"
    "\n"
    "Converts data.npz, itemattr.npz and ind2val.json (the FINN.no slate dataset format) into\n"
    "N HDF5 shards of contiguous users, items.h5 and manifest.json (docs/FORMAT.md). The output\n"
    "is built beside the target and renamed into place only when complete.\n"
    "\n"
    "options:\n"
    "  --input DIR            directory holding the three source files\n"
    "  --output DIR           directory to create\n"
    "  --shards N             number of shard files (default 1)\n"
    "  --force                replace an earlier conversion (only after success; never the\n"
    "                         input or a directory slateconvert did not write)\n"
    "  --strict               treat every anomaly (docs/FORMAT.md) as an error\n"
    "  --gzip LEVEL           compress shards with shuffle + deflate 1..9 (default 0: none)\n"
    "  --split-seed S         seed of the published split (default 0)\n"
    "  --valid-fraction F     share of users in validation (default 0.05)\n"
    "  --test-fraction F      share of users in test (default 0.05)\n"
    "  --t-testsplit T        steps of valid/test users that still train (default 5)\n"
    "  --block-users N        users per source block (default 16384)\n"
    "  --quiet                no progress lines\n";

// Parses a whole-string number; errors name the option.
template <typename T>
T parse_number(const std::string& option, const std::string& text) {
  char* end = nullptr;
  T value{};
  errno = 0;
  if constexpr (std::is_floating_point_v<T>) {
    value = static_cast<T>(std::strtod(text.c_str(), &end));
  } else if constexpr (std::is_unsigned_v<T>) {
    value = static_cast<T>(std::strtoull(text.c_str(), &end, 10));
  } else {
    value = static_cast<T>(std::strtoll(text.c_str(), &end, 10));
  }
  REQUIRE(!text.empty() && end != nullptr && *end == '\0' && errno == 0,
          option << " expects a number, got '" << text << "'");
  return value;
}

}  // namespace

int finn_command(int argc, char** argv) {
  ConvertOptions options;
  for (int i = 1; i < argc; ++i) {
    const std::string option = argv[i];
    auto value = [&]() -> std::string {
      REQUIRE(i + 1 < argc, option << " needs a value (see slateconvert finn --help)");
      return argv[++i];
    };
    if (option == "--help" || option == "-h") {
      std::fputs(kFinnUsage, stdout);
      return 0;
    } else if (option == "--input") {
      options.input = value();
    } else if (option == "--output") {
      options.output = value();
    } else if (option == "--shards") {
      options.shards = parse_number<int>(option, value());
    } else if (option == "--force") {
      options.force = true;
    } else if (option == "--strict") {
      options.strict = true;
    } else if (option == "--gzip") {
      options.gzip_level = parse_number<int>(option, value());
    } else if (option == "--split-seed") {
      options.split.seed = parse_number<uint64_t>(option, value());
    } else if (option == "--valid-fraction") {
      options.split.valid_fraction = parse_number<double>(option, value());
    } else if (option == "--test-fraction") {
      options.split.test_fraction = parse_number<double>(option, value());
    } else if (option == "--t-testsplit") {
      options.split.t_testsplit = parse_number<int>(option, value());
    } else if (option == "--block-users") {
      options.block_users = parse_number<int64_t>(option, value());
    } else if (option == "--quiet") {
      options.show_progress = false;
    } else {
      std::fprintf(stderr, "slateconvert finn: unknown option '%s'\n\n%s", option.c_str(),
                   kFinnUsage);
      return 2;
    }
  }
  if (options.input.empty() || options.output.empty()) {
    std::fprintf(stderr, "slateconvert finn: --input and --output are required\n\n%s", kFinnUsage);
    return 2;
  }
  const Manifest manifest = convert_finn(options);
  std::printf(
      "converted %lld users, %lld interactions (%lld stored steps, %lld slate items) "
      "into %zu shards in %s\n",
      static_cast<long long>(manifest.num_users), static_cast<long long>(manifest.num_interactions),
      static_cast<long long>(manifest.num_stored_steps),
      static_cast<long long>(manifest.num_slate_items), manifest.shards.size(),
      options.output.c_str());
  std::printf("anomalies kept (%lld):", static_cast<long long>(manifest.anomalies.total()));
  for (const auto& [kind, count] : manifest.anomalies.counts)
    if (count > 0) std::printf(" %s %lld", kind.c_str(), static_cast<long long>(count));
  std::printf("\n");
  return 0;
}

}  // namespace slatetrain
