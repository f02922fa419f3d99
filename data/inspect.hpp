// `slateconvert inspect DIR`: a human summary of a converted directory from its manifest:
// sizes, the split, the slate-length histogram, anomaly counts with an example each, and the
// shard table (with a check that each shard file is there with its recorded size).
#pragma once

#include <ostream>
#include <string>

namespace slatetrain {

void inspect_directory(const std::string& directory, std::ostream& out);

}  // namespace slatetrain
