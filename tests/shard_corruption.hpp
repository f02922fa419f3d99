// Damaging shard files on purpose, for the integrity tests: where an element of a dataset lies
// in the file (HDF5's own chunk address or contiguous offset, no h5py), and flipping one bit
// there as a failing disk or a bad copy would.
#pragma once

#include <cstdint>
#include <string>

namespace slatetrain::testing {

// The byte offset in `path` of element `element` of the 1-d dataset `dataset` (stored without
// filters: the chunk's raw bytes are the elements).
int64_t dataset_element_offset(const std::string& path, const std::string& dataset,
                               int64_t element);
// Flips bit `bit` of the byte at `offset` of the file, in place.
void flip_bit(const std::string& path, int64_t offset, int bit = 0);

}  // namespace slatetrain::testing
