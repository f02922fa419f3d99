// Shared by the fuzz targets: the input as a file for readers that take a path, and the rule
// that decides what counts as a finding.
//
// A reader may reject any input, but only with slatetrain::Error (which names the file and what
// is wrong). Anything else escaping a target is a finding: libFuzzer reports an uncaught
// exception as a crash, as it does a sanitizer report, a leak or an allocation over
// -malloc_limit_mb (a corrupt size field must be refused before it is allocated).
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace slatetrain::fuzz {

// An anonymous in-memory file (memfd) that readers open by its /proc path: no temporary file on
// disk, nothing left behind, one per process so parallel fuzz jobs never share it.
class MemoryFile {
 public:
  MemoryFile() {
    descriptor_ = memfd_create("slatetrain-fuzz", MFD_CLOEXEC);
    if (descriptor_ < 0) {
      std::perror("memfd_create");
      std::abort();
    }
    path_ = "/proc/self/fd/" + std::to_string(descriptor_);
  }
  // Replaces the file's contents with the input.
  const std::string& hold(const uint8_t* data, size_t size) {
    if (ftruncate(descriptor_, 0) != 0) std::abort();
    size_t done = 0;
    while (done < size) {
      const ssize_t wrote = pwrite(descriptor_, data + done, size - done, off_t(done));
      if (wrote <= 0) std::abort();
      done += size_t(wrote);
    }
    return path_;
  }

 private:
  int descriptor_ = -1;
  std::string path_;
};

}  // namespace slatetrain::fuzz
