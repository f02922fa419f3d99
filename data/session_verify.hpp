// `slateconvert verify` for a session conversion: reads the source files again with the
// options recorded in the manifest and proves the output holds exactly what the conversion
// rules give (docs/FORMAT.md, "slateconvert verify (sessions)"):
//   - every output file's size and CRC-32, every source file's size and SHA-256;
//   - the source counts (records, events, distinct users and items, events below --min-rating,
//     consecutive duplicates) and the interaction type names, recomputed;
//   - every kept user's events, in time order with ties in source order, item by item (id,
//     timestamp, weight, type), against the shards, and each user's original id, user_id and
//     split; every item's original id (and locale) and groups against items.h5;
//   - the k-core: every kept user and item has its threshold of events, and no removed user or
//     item could be added back alone (it has fewer than its threshold among the kept ones).
// Users are checked a range at a time, as many events as memory_mb allows; each range is one
// more pass over the source.
#pragma once

#include "data/verify.hpp"

namespace slatetrain {

VerifyReport verify_session_conversion(const VerifyOptions& options);

}  // namespace slatetrain
