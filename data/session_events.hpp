// The session converter's intermediate events: fixed-size binary records in temporary files
// inside the output's temporary directory (never beside the user's files), written and read
// in large buffered blocks.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace slatetrain {

// One event with dense ids. 24 bytes; the order of a file is the order events were written.
struct EventRecord {
  int32_t user = 0;  // dense user id (order of first appearance in the source)
  int32_t item = 0;  // dense item id (order of first appearance), not yet the output's id
  int64_t time = 0;
  float weight = 0;
  uint8_t type = 0;
  uint8_t padding[3] = {0, 0, 0};
};
static_assert(sizeof(EventRecord) == 24, "EventRecord is written to files as it is");

class EventWriter {
 public:
  explicit EventWriter(const std::string& path);
  ~EventWriter();
  EventWriter(const EventWriter&) = delete;
  EventWriter& operator=(const EventWriter&) = delete;

  void push(const EventRecord& record) {
    if (buffer_.size() == buffer_.capacity()) flush();
    buffer_.push_back(record);
    ++count_;
  }
  // Writes what is buffered and closes the file; errors (a full disk) are reported here.
  void close();
  int64_t count() const { return count_; }
  const std::string& path() const { return path_; }

 private:
  void flush();

  std::string path_;
  FILE* file_ = nullptr;
  std::vector<EventRecord> buffer_;
  int64_t count_ = 0;
};

class EventReader {
 public:
  explicit EventReader(const std::string& path);
  ~EventReader();
  EventReader(const EventReader&) = delete;
  EventReader& operator=(const EventReader&) = delete;

  // Reads up to `count` records into `out`; returns how many (0 at the end).
  size_t read(EventRecord* out, size_t count);
  // The next record; false at the end.
  bool next(EventRecord& record);

 private:
  std::string path_;
  FILE* file_ = nullptr;
  std::vector<EventRecord> buffer_;
  size_t position_ = 0;
};

}  // namespace slatetrain
