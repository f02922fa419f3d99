#include "data/output_file.hpp"

#include <fcntl.h>  // open, AT_FDCWD
#include <stdio.h>  // renameat2, RENAME_NOREPLACE (glibc >= 2.28)
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "core/error.hpp"

namespace slatetrain {

namespace fs = std::filesystem;

namespace {

constexpr size_t kBufferBytes = size_t{1} << 20;

bool exists_or_dangling(const std::string& path) {
  std::error_code error;
  return fs::symlink_status(path, error).type() != fs::file_type::not_found;
}

}  // namespace

std::string unused_name(const std::string& base) {
  std::string name = base + "-" + std::to_string(getpid());
  for (int n = 1; exists_or_dangling(name); ++n)
    name = base + "-" + std::to_string(getpid()) + "-" + std::to_string(n);
  return name;
}

int rename_no_replace(const std::string& from, const std::string& to) {
  return renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0 ? 0 : errno;
}

OutputFile::OutputFile(std::string target) : target_(std::move(target)) {
  temporary_ = unused_name(target_ + ".tmp");
  descriptor_ = ::open(temporary_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  REQUIRE(descriptor_ >= 0,
          temporary_ << ": cannot create (for " << target_ << "): " << std::strerror(errno));
}

OutputFile::~OutputFile() {
  if (descriptor_ >= 0) ::close(descriptor_);
  if (!committed_) ::unlink(temporary_.c_str());
}

void OutputFile::write(const void* data, size_t size) {
  if (buffer_.size() + size > kBufferBytes) flush();
  if (size >= kBufferBytes) {
    // A large block (an item matrix) goes to the file from where it is, not through the buffer.
    write_all(static_cast<const char*>(data), size);
    return;
  }
  buffer_.append(static_cast<const char*>(data), size);
}

void OutputFile::flush() {
  write_all(buffer_.data(), buffer_.size());
  buffer_.clear();
}

void OutputFile::write_all(const char* bytes, size_t left) {
  while (left > 0) {
    const ssize_t written = ::write(descriptor_, bytes, left);
    if (written < 0 && errno == EINTR) continue;
    REQUIRE(written > 0, temporary_ << ": write failed (disk full?): " << std::strerror(errno));
    bytes += written;
    left -= static_cast<size_t>(written);
  }
}

void OutputFile::commit(bool replace) {
  flush();
  REQUIRE(::fsync(descriptor_) == 0, temporary_ << ": fsync failed: " << std::strerror(errno));
  const int closed = ::close(descriptor_);
  descriptor_ = -1;
  REQUIRE(closed == 0, temporary_ << ": close failed: " << std::strerror(errno));
  const int failure = replace && exists_or_dangling(target_)
                          ? (std::rename(temporary_.c_str(), target_.c_str()) == 0 ? 0 : errno)
                          : rename_no_replace(temporary_, target_);
  REQUIRE(failure == 0, target_ << ": cannot move " << temporary_ << " into place: "
                                << std::strerror(failure) << "; nothing was changed");
  committed_ = true;
}

}  // namespace slatetrain
