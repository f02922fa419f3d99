#include "tests/shard_corruption.hpp"

#include <hdf5.h>

#include <fstream>

#include "core/error.hpp"
#include "data/hdf5_error.hpp"

namespace slatetrain::testing {

int64_t dataset_element_offset(const std::string& path, const std::string& dataset,
                               int64_t element) {
  Hdf5Handle file(CHECK_HDF5(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), path), H5Fclose);
  Hdf5Handle data(CHECK_HDF5(H5Dopen2(file, dataset.c_str(), H5P_DEFAULT), path << dataset),
                  H5Dclose);
  Hdf5Handle type(CHECK_HDF5(H5Dget_type(data), path), H5Tclose);
  const auto element_bytes = static_cast<int64_t>(H5Tget_size(type));
  Hdf5Handle properties(CHECK_HDF5(H5Dget_create_plist(data), path), H5Pclose);
  if (H5Pget_layout(properties) != H5D_CHUNKED) {
    const haddr_t start = H5Dget_offset(data);
    REQUIRE(start != HADDR_UNDEF, path << dataset << ": no data offset");
    return static_cast<int64_t>(start) + element * element_bytes;
  }
  REQUIRE(H5Pget_nfilters(properties) == 0, path << dataset << ": filtered, bytes are not raw");
  hsize_t chunk = 0;
  CHECK_HDF5(H5Pget_chunk(properties, 1, &chunk), path);
  const hsize_t chunk_start = static_cast<hsize_t>(element) / chunk * chunk;
  unsigned filter_mask = 0;
  haddr_t address = HADDR_UNDEF;
  hsize_t size = 0;
  CHECK_HDF5(H5Dget_chunk_info_by_coord(data, &chunk_start, &filter_mask, &address, &size),
             path << dataset << ": chunk at " << chunk_start);
  REQUIRE(address != HADDR_UNDEF,
          path << dataset << ": chunk at " << chunk_start << " not allocated");
  return static_cast<int64_t>(address) +
         (element - static_cast<int64_t>(chunk_start)) * element_bytes;
}

void flip_bit(const std::string& path, int64_t offset, int bit) {
  std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
  REQUIRE(file, path << ": cannot open to flip a bit");
  file.seekg(offset);
  char byte = 0;
  REQUIRE(file.get(byte), path << ": cannot read byte " << offset);
  byte = static_cast<char>(byte ^ (1 << bit));
  file.seekp(offset);
  file.put(byte);
  file.flush();
  REQUIRE(file, path << ": cannot write byte " << offset);
}

}  // namespace slatetrain::testing
