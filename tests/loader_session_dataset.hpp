// A small random session dataset (no slates) for the loader tests: users with 0 to 60 events
// (some with fewer than 3, which only train under leave-one-out), written in the session shard
// layout with a manifest as `slateconvert sessions` writes one, and the batch each loader phase
// must deliver, computed from the plain structs by the protocol's rules written out here.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "data/protocol.hpp"
#include "data/sequence_batch.hpp"
#include "data/split.hpp"

namespace slatetrain::testing {

struct SessionTestUser {
  int64_t row = 0;
  uint8_t split = 0;
  std::vector<int32_t> items;  // events in time order
  std::vector<uint8_t> types;
};

struct SessionTestDataset {
  std::vector<SessionTestUser> users;
  Protocol protocol = Protocol::kLeaveOneOut;
  SplitParameters split;  // protocol users
  int64_t num_items = 0;
  int max_steps() const;  // the longest history
};

SessionTestDataset make_session_test_dataset(int64_t num_users, uint64_t seed, Protocol protocol,
                                             const SplitParameters& split = SplitParameters());

void write_session_test_directory(const SessionTestDataset& dataset, const std::string& directory,
                                  int shards);

// The rows a phase delivers (leave-one-out valid/test: users with at least 3 events).
std::vector<int64_t> session_phase_rows(const SessionTestDataset& dataset, LoaderPhase phase);

// rows: the dataset rows expected in batch rows 0.., in order; the rest padding. window: T.
::testing::AssertionResult session_batch_matches(const SequenceBatch& batch,
                                                 const SessionTestDataset& dataset,
                                                 const std::vector<int64_t>& rows,
                                                 LoaderPhase phase, int window);

}  // namespace slatetrain::testing
