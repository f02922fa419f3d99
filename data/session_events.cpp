#include "data/session_events.hpp"

#include <cerrno>
#include <cstring>

#include "core/error.hpp"

namespace slatetrain {

namespace {

constexpr size_t kBufferRecords = 1 << 16;  // 1.5 MB

}  // namespace

EventWriter::EventWriter(const std::string& path) : path_(path) {
  file_ = std::fopen(path.c_str(), "wb");
  REQUIRE(file_ != nullptr, path << ": cannot create: " << std::strerror(errno));
  buffer_.reserve(kBufferRecords);
}

EventWriter::~EventWriter() {
  if (file_ != nullptr) std::fclose(file_);
}

void EventWriter::flush() {
  if (buffer_.empty()) return;
  const size_t written = std::fwrite(buffer_.data(), sizeof(EventRecord), buffer_.size(), file_);
  REQUIRE(written == buffer_.size(),
          path_ << ": write failed (disk full?): " << std::strerror(errno));
  buffer_.clear();
}

void EventWriter::close() {
  if (file_ == nullptr) return;
  flush();
  FILE* file = file_;
  file_ = nullptr;
  REQUIRE(std::fclose(file) == 0, path_ << ": closing failed: " << std::strerror(errno));
}

EventReader::EventReader(const std::string& path) : path_(path) {
  file_ = std::fopen(path.c_str(), "rb");
  REQUIRE(file_ != nullptr, path << ": cannot open: " << std::strerror(errno));
}

EventReader::~EventReader() {
  if (file_ != nullptr) std::fclose(file_);
}

size_t EventReader::read(EventRecord* out, size_t count) {
  size_t got = 0;
  // What next() buffered comes first.
  while (position_ < buffer_.size() && got < count) out[got++] = buffer_[position_++];
  if (got < count) got += std::fread(out + got, sizeof(EventRecord), count - got, file_);
  REQUIRE(!std::ferror(file_), path_ << ": read failed: " << std::strerror(errno));
  return got;
}

bool EventReader::next(EventRecord& record) {
  if (position_ == buffer_.size()) {
    buffer_.resize(kBufferRecords);
    const size_t got = std::fread(buffer_.data(), sizeof(EventRecord), kBufferRecords, file_);
    REQUIRE(!std::ferror(file_), path_ << ": read failed: " << std::strerror(errno));
    buffer_.resize(got);
    position_ = 0;
    if (got == 0) return false;
  }
  record = buffer_[position_++];
  return true;
}

}  // namespace slatetrain
