// `slateconvert sessions`: a session log (RecBole, MovieLens, Amazon-M2 or any CSV; see
// data/session_source.hpp) to the sharded HDF5 layout of docs/FORMAT.md without slates.
//
// Memory is bounded by the dense id maps (the original ids' bytes plus ~20 bytes per user and
// item), a few arrays per user and item, and the sort's budget (memory_mb); the events pass
// through binary run files in the output's temporary directory:
//   1. read: every source row is checked and parsed; users and items get dense ids by first
//      appearance; events below --min-rating are dropped; the rest go to a run file in
//      source order (the item files are read next, for the item groups);
//   2. order: events grouped by user and stably sorted by time (data/session_sort.hpp);
//      consecutive duplicates dropped (same item and type as the user's previous event);
//   3. k-core to a fixed point (data/session_filters.hpp);
//   4. write: users that kept events become rows 0.. in order of first appearance, kept items
//      the ids first_item.. in order of first appearance; shards, items.h5, manifest.json.
// The output directory appears atomically (OutputDirectory); any error leaves nothing.
#pragma once

#include "data/manifest.hpp"
#include "data/session_options.hpp"

namespace slatetrain {

// Converts; returns the manifest written. Throws Error (and leaves no output) on failure.
Manifest convert_sessions(const SessionConvertOptions& options);

// The integer value of an original user id written as a plain decimal integer, else -1 (what
// /users/user_id holds in the session layout).
int64_t integer_user_id(std::string_view original_id);

}  // namespace slatetrain
