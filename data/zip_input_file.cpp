#include "data/zip_input_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/error.hpp"

namespace slatetrain {

ZipInputFile::ZipInputFile(const std::string& path) : path_(path) {
  descriptor_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  REQUIRE(descriptor_ >= 0, path << ": cannot open: " << std::strerror(errno));
  struct stat status {};
  if (::fstat(descriptor_, &status) != 0 || !S_ISREG(status.st_mode)) {
    ::close(descriptor_);
    RAISE(path << ": not a regular file");
  }
  size_ = static_cast<uint64_t>(status.st_size);
  // Members are read front to back in large blocks.
  ::posix_fadvise(descriptor_, 0, 0, POSIX_FADV_SEQUENTIAL);
}

ZipInputFile::~ZipInputFile() {
  if (descriptor_ >= 0) ::close(descriptor_);
}

size_t ZipInputFile::read_at(uint64_t offset, void* out, size_t bytes) const {
  size_t done = 0;
  auto* destination = static_cast<char*>(out);
  while (done < bytes) {
    const ssize_t got =
        ::pread(descriptor_, destination + done, bytes - done, static_cast<off_t>(offset + done));
    if (got < 0 && errno == EINTR) continue;
    REQUIRE(got >= 0,
            path_ << ": read error at offset " << offset + done << ": " << std::strerror(errno));
    if (got == 0) break;
    done += static_cast<size_t>(got);
  }
  return done;
}

void ZipInputFile::read_exactly_at(uint64_t offset, void* out, size_t bytes,
                                   const char* what) const {
  const size_t got = read_at(offset, out, bytes);
  REQUIRE(got == bytes, path_ << ": truncated: " << what << " needs " << bytes
                              << " bytes at offset " << offset << " but the file has " << size_
                              << " bytes");
}

}  // namespace slatetrain
