// Checks a decoded SequenceBatch against the plain TestDataset, computing every expected value
// from the dataset's structs (not from the decoder); names the first differing element.
#pragma once

#include <gtest/gtest.h>

#include <vector>

#include "data/sequence_batch.hpp"
#include "tests/loader_test_dataset.hpp"

namespace slatetrain::testing {

// rows: the users (dataset rows) expected in batch rows 0.., in order; the rest padding.
::testing::AssertionResult batch_matches(const SequenceBatch& batch, const TestDataset& dataset,
                                         const std::vector<int64_t>& rows, LoaderPhase phase,
                                         int t_testsplit);

}  // namespace slatetrain::testing
