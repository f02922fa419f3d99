// `slatetrain export CONFIG --checkpoint FILE --output DIR [--force] [--set key=value ...]`.
#pragma once

namespace slatetrain {

// argv[0] is "export". Returns the process exit code (2: unusable arguments).
int export_command(int argc, char** argv);

}  // namespace slatetrain
