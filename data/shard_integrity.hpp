// Whether a shard file is the one its manifest describes (docs/FORMAT.md, "Integrity"):
// identity (the conversion id inside the file, its shard index and count, row range and sizes)
// and content (the file's size and CRC-32). Shared by the loader, `slateconvert check` and
// `slateconvert inspect`. Each check returns "" when the shard holds, else one line naming the
// file and what differs; a bad file never throws from here.
#pragma once

#include <cstddef>
#include <string>

#include "data/manifest.hpp"

namespace slatetrain {

class ShardReader;

enum class ShardContentCheck {
  kSize,               // present with the recorded size only (cheap)
  kCrc,                // and the whole file's CRC-32 against the manifest's
  kCrcOncePerProcess,  // as kCrc, but a file already verified unchanged (same path, size,
                       // modification time, CRC) in this process is not read again
};

// directory/shards[index].file: present, the recorded size, and the content check.
std::string shard_file_problem(const std::string& directory, const Manifest& manifest, size_t index,
                               ShardContentCheck check);

// The opened shard's attributes and array sizes against the manifest's entry `index`:
// conversion id (when the manifest has one), shard index and count, first row, users, steps,
// slate items.
std::string shard_identity_problem(const ShardReader& reader, const Manifest& manifest,
                                   size_t index);

// Both, opening the file (HDF5: the caller holds hdf5_library_mutex() if other threads use it).
std::string check_shard(const std::string& directory, const Manifest& manifest, size_t index,
                        ShardContentCheck check);

// The one-line warning for a manifest without a conversion id ("" when it has one).
std::string missing_conversion_id_warning(const std::string& directory, const Manifest& manifest);

}  // namespace slatetrain
