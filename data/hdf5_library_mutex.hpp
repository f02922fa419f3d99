// One process-wide lock around the HDF5 library. Debian's HDF5 is the serial build, which is
// not thread-safe: no two threads may be inside HDF5 at once, whatever files they touch.
// SlateLoader's background thread holds this lock for each of its HDF5 calls (opening a
// shard, reading a range, closing), so any other code that uses HDF5 while a loader may be
// running (a checkpoint written between steps, a second loader) must hold it too:
//     std::lock_guard<std::mutex> lock(slatetrain::hdf5_library_mutex());
#pragma once

#include <mutex>

namespace slatetrain {

inline std::mutex& hdf5_library_mutex() {
  static std::mutex mutex;  // one instance per process (inline function, static local)
  return mutex;
}

}  // namespace slatetrain
