// `slatetrain index CONFIG --checkpoint FILE --output FILE [--kind flat|hnsw|ivf] ...`.
#pragma once

namespace slatetrain {

// argv[0] is "index". Returns the process exit code (2: unusable arguments).
int index_command(int argc, char** argv);

}  // namespace slatetrain
