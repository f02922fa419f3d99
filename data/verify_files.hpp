// Checks shared by both verifications (data/verify.cpp, data/session_verify.cpp): every output
// file the manifest lists is there with its recorded size and CRC-32 (each shard also with its
// identity: data/shard_integrity.hpp), and a source file has its recorded size and SHA-256.
// Problems are appended as messages naming the file.
#pragma once

#include <string>
#include <vector>

#include "data/manifest.hpp"

namespace slatetrain {

void check_output_files(const Manifest& manifest, const std::string& directory,
                        std::vector<std::string>& problems);
// `path` against the manifest's record of a source file named `name`.
void check_source_file(const Manifest& manifest, const std::string& name, const std::string& path,
                       std::vector<std::string>& problems);

}  // namespace slatetrain
