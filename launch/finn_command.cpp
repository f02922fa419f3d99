// slateconvert finn: the FINN.no files to sharded HDF5 (data/converter.hpp).
#include <cstdio>
#include <string>

#include "data/converter.hpp"
#include "launch/command_line.hpp"
#include "launch/slateconvert_commands.hpp"
#include "launch/split_options.hpp"

namespace slatetrain {

int finn_command(int argc, char** argv) {
  ConvertOptions options;
  const auto app = make_command_line(
      "slateconvert finn",
      "Converts data.npz, itemattr.npz and ind2val.json (the FINN.no slate dataset format) into\n"
      "N HDF5 shards of contiguous users, items.h5 and manifest.json (docs/FORMAT.md). The output\n"
      "is built beside the target and renamed into place only when complete.\n");
  app->add_option("--input", options.input, "directory holding the three source files")
      ->type_name("DIR")
      ->required();
  app->add_option("--output", options.output, "directory to create")->type_name("DIR")->required();
  add_number_option(*app, "--shards", options.shards, "number of shard files", "N")
      ->check(within(at_least(1)));
  app->add_flag("--force", options.force,
                "replace an earlier conversion (only after success; never\n"
                "the input or a directory slateconvert did not write)");
  app->add_flag("--strict", options.strict, "treat every anomaly (docs/FORMAT.md) as an error");
  add_number_option(*app, "--gzip", options.gzip_level,
                    "compress shards with shuffle + deflate (0: none)", "LEVEL")
      ->check(within(between(0, 9)));
  add_number_option(*app, "--block-users", options.block_users, "users per source block", "N")
      ->check(within(at_least(1)));
  bool quiet = false;
  app->add_flag("--quiet", quiet, "no progress lines");
  add_split_options(*app, options.split, "split (docs/FORMAT.md)");
  if (const auto exit_code = parse_command_line(*app, argc, argv)) return *exit_code;
  options.show_progress = !quiet;

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
