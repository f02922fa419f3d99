// slatetrain: distributed training of slate recommenders, and the commands that use a trained
// model. This file only dispatches on argv[1]; each command parses its own options
// (launch/NAME_command.cpp).
//   mpirun -np 8 slatetrain configs/gru.yaml [--set key=value ...] [--resume | --overwrite]
//   mpirun -np 2 slatetrain evaluate configs/gru.yaml --checkpoint FILE [--split valid|test]
//   mpirun -np 2 slatetrain recommend configs/gru.yaml --checkpoint FILE --k 10 [...]
//   slatetrain export configs/gru.yaml --checkpoint FILE --output DIR
//   slatetrain index configs/gru.yaml --checkpoint FILE --output FILE [--kind flat|hnsw|ivf]
#include <cstdio>
#include <cstring>

#include "core/cpu/openblas_kernels.hpp"
#include "launch/evaluate_command.hpp"
#include "launch/export_command.hpp"
#include "launch/index_command.hpp"
#include "launch/recommend_command.hpp"
#include "launch/train_command.hpp"

namespace {

struct Command {
  const char* name;
  int (*run)(int argc, char** argv);
  const char* summary;
};

// One line per command (`slatetrain CONFIG ...` with no command name is `train`).
constexpr Command kCommands[] = {
    {"train", slatetrain::train_command, "train the model CONFIG describes (options below)"},
    {"evaluate", slatetrain::evaluate_command, "a saved checkpoint's metrics on a split"},
    {"recommend", slatetrain::recommend_command, "top-k items per user in the source's ids"},
    {"export", slatetrain::export_command, "a checkpoint's model as NumPy files and JSON"},
    {"index", slatetrain::index_command, "a FAISS index of a checkpoint's item vectors"},
};

void print_commands(std::FILE* out) {
  std::fputs(
      "usage: slatetrain [train] CONFIG [options]\n"
      "       slatetrain COMMAND ... (`slatetrain COMMAND --help` describes each)\n\n"
      "commands:\n",
      out);
  for (const Command& command : kCommands)
    std::fprintf(out, "  slatetrain %-10s %s\n", command.name, command.summary);
  std::fputs("\n", out);
}

}  // namespace

int main(int argc, char** argv) {
  // Before anything else (MPI included): the restart that picks faster OpenBLAS kernels.
  slatetrain::cpu::restart_with_better_openblas_kernels(argv);
  if (argc < 2) {
    print_commands(stderr);
    std::fputs("slatetrain: no configuration file given\n", stderr);
    return 2;
  }
  // Each command sees its own name as argv[0].
  for (const Command& command : kCommands)
    if (std::strcmp(argv[1], command.name) == 0) return command.run(argc - 1, argv + 1);
  // `slatetrain --help`: the commands, then training's options and every configuration key.
  if (std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0)
    print_commands(stdout);
  return slatetrain::train_command(argc, argv);
}
