// `slateconvert inspect DIR`: a human summary of a converted directory from its manifest:
// sizes, the split, the slate-length histogram, anomaly counts with an example each, and the
// file table, with each file checked: present with its recorded size and CRC-32, and each
// shard the one the manifest lists (data/shard_integrity.hpp).
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace slatetrain {

// Prints the summary; returns the problems found with the files (none: every file holds).
std::vector<std::string> inspect_directory(const std::string& directory, std::ostream& out);

}  // namespace slatetrain
