// `slatetrain [train] CONFIG [--set key=value ...] [--resume | --overwrite]`.
#pragma once

namespace slatetrain {

// argv[0] is "train" (or the program's name, for `slatetrain CONFIG ...`). Returns the process
// exit code (2: unusable arguments).
int train_command(int argc, char** argv);

}  // namespace slatetrain
