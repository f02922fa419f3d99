// `slatetrain evaluate CONFIG --checkpoint FILE [--split valid|test] [--set key=value ...]`.
#pragma once

namespace slatetrain {

// argv[0] is "evaluate". Returns the process exit code (2: unusable arguments).
int evaluate_command(int argc, char** argv);

}  // namespace slatetrain
