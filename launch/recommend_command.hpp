// `slatetrain recommend CONFIG --checkpoint FILE --k K [--split test|valid | --input FILE]
//  [--output FILE] [--exclude-seen true|false] [--set key=value ...]`.
#pragma once

namespace slatetrain {

// argv[0] is "recommend". Returns the process exit code (2: unusable arguments).
int recommend_command(int argc, char** argv);

}  // namespace slatetrain
