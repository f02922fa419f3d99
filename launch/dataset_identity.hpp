// Which converted dataset a run trains on, as one short id recorded in every checkpoint, so a
// resume on another dataset of the same shape is refused (docs/RUN_DIRECTORY.md). The id is a
// 64-bit FNV-1a hash, in 16 hex digits, of what the conversion wrote: the dataset kind, the
// protocol, the counts and the CRC-32 of items.h5 and of every shard as the manifest lists them.
// A copy of the directory elsewhere has the same id; a conversion of other data does not. A
// manifest without checksums is identified by the hash of its own bytes.
#pragma once

#include <string>

#include "data/manifest.hpp"

namespace slatetrain {

std::string dataset_identity(const Manifest& manifest, const std::string& directory);

}  // namespace slatetrain
