#include "data/delimited_reader.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "core/error.hpp"

namespace slatetrain {

namespace {

constexpr size_t kReadBytes = size_t{4} << 20;

}  // namespace

DelimitedReader::DelimitedReader(const std::string& path, const DelimitedOptions& options)
    : path_(path), options_(options) {
  REQUIRE(!options_.delimiter.empty(), path << ": the delimiter is empty");
  REQUIRE(options_.delimiter.find_first_of("\"\r\n") == std::string::npos,
          path << ": a delimiter cannot hold a quote or a line break");
  std::error_code error;
  REQUIRE(std::filesystem::is_regular_file(path, error), path << ": no such file");
  file_ = std::fopen(path.c_str(), "rb");
  REQUIRE(file_ != nullptr, path << ": cannot open: " << std::strerror(errno));
  file_bytes_ = static_cast<int64_t>(std::filesystem::file_size(path, error));
  buffer_.resize(kReadBytes);
  refill();
  // A UTF-8 byte order mark is not data.
  if (end_ >= 3 && std::memcmp(buffer_.data(), "\xEF\xBB\xBF", 3) == 0) {
    pos_ = 3;
    consumed_ = 3;
  }
}

DelimitedReader::~DelimitedReader() {
  if (file_ != nullptr) std::fclose(file_);
}

std::string DelimitedReader::where() const {
  return path_ + ":" + std::to_string(record_line_);
}

std::string DelimitedReader::where(size_t column) const {
  return where() + ": column " + std::to_string(column + 1);
}

bool DelimitedReader::refill() {
  if (eof_) return false;
  if (pos_ > 0) {
    std::memmove(buffer_.data(), buffer_.data() + pos_, end_ - pos_);
    end_ -= pos_;
    pos_ = 0;
  }
  // A record longer than the buffer: grow it.
  if (buffer_.size() - end_ < kReadBytes / 2) buffer_.resize(buffer_.size() * 2);
  const size_t got = std::fread(buffer_.data() + end_, 1, buffer_.size() - end_, file_);
  REQUIRE(got > 0 || !std::ferror(file_), path_ << ": read error: " << std::strerror(errno));
  end_ += got;
  if (got == 0) eof_ = true;
  return got > 0;
}

bool DelimitedReader::at_delimiter(size_t i) const {
  const std::string& d = options_.delimiter;
  if (end_ - i < d.size()) return false;
  // Delimiters are a few characters: compare them in place (no library call per field).
  for (size_t k = 0; k < d.size(); ++k)
    if (buffer_[i + k] != d[k]) return false;
  return true;
}

bool DelimitedReader::parse_record() {
  spans_.clear();
  arena_.clear();
  const char* data = buffer_.data();
  const size_t delimiter_length = options_.delimiter.size();
  const char first_delimiter = options_.delimiter[0];
  size_t i = pos_;
  int64_t lines = 0;  // line breaks inside quoted fields
  // A multi-character delimiter may be cut at the buffer's end: look only where it fits.
  const size_t safe_end = eof_ ? end_ : end_ - std::min(end_, delimiter_length - 1);
  while (true) {
    if (i >= end_ && !eof_) return false;
    if (options_.quotes && i < end_ && data[i] == '"') {
      // Quoted field: ends at a quote not followed by another.
      size_t j = i + 1;
      bool escaped = false;
      while (true) {
        if (j >= end_) {
          if (!eof_) return false;
          record_line_ = next_line_;
          RAISE(where(spans_.size()) << ": a quoted field is not closed before the end of the "
                                        "file");
        }
        if (data[j] == '"') {
          if (j + 1 >= end_ && !eof_) return false;
          if (j + 1 < end_ && data[j + 1] == '"') {
            escaped = true;
            j += 2;
            continue;
          }
          break;
        }
        if (data[j] == '\n') ++lines;
        ++j;
      }
      Span span;
      span.quoted = true;
      if (escaped) {
        span.in_arena = true;
        span.begin = arena_.size();
        for (size_t k = i + 1; k < j; ++k) {
          arena_.push_back(data[k]);
          if (data[k] == '"') ++k;  // "" is one quote
        }
        span.length = arena_.size() - span.begin;
      } else {
        span.begin = i + 1;
        span.length = j - i - 1;
      }
      spans_.push_back(span);
      i = j + 1;  // after the closing quote: a delimiter, a line end or the end
      if (i >= end_) {
        if (!eof_) return false;
        break;
      }
      if (data[i] == '\r') {
        if (i + 1 >= end_ && !eof_) return false;
        if (i + 1 < end_ && data[i + 1] == '\n') ++i;
      }
      if (data[i] == '\n') {
        ++i;
        break;
      }
      if (i + delimiter_length > end_ && !eof_) return false;
      if (at_delimiter(i)) {
        i += delimiter_length;
        continue;
      }
      record_line_ = next_line_;
      RAISE(where(spans_.size() - 1) << ": text after the closing quote of a quoted field");
    }
    // Unquoted field: up to the delimiter or the line end.
    size_t j = i;
    bool at_line_end = false;
    while (true) {
      if (j >= safe_end) {
        if (!eof_) return false;
        if (j >= end_) break;
      }
      const char c = data[j];
      if (c == '\n') {
        at_line_end = true;
        break;
      }
      if (c == first_delimiter && (delimiter_length == 1 || at_delimiter(j))) break;
      ++j;
    }
    size_t length = j - i;
    if ((at_line_end || j >= end_) && length > 0 && data[j - 1] == '\r') --length;
    spans_.push_back({false, false, i, length});
    if (j >= end_) {
      i = j;
      break;
    }
    if (at_line_end) {
      i = j + 1;
      break;
    }
    i = j + delimiter_length;
  }
  record_line_ = next_line_;
  next_line_ += lines + 1;
  consumed_ += static_cast<int64_t>(i - pos_);
  pos_ = i;
  return true;
}

bool DelimitedReader::next() {
  while (true) {
    if (pos_ >= end_ && !refill()) return false;
    if (!parse_record()) {
      if (!refill() && pos_ >= end_) return false;
      continue;
    }
    // An empty line (one empty unquoted field) is no record.
    if (spans_.size() == 1 && spans_[0].length == 0 && !spans_[0].quoted) continue;
    fields_.resize(spans_.size());
    for (size_t k = 0; k < spans_.size(); ++k) {
      const Span& span = spans_[k];
      fields_[k] = span.in_arena ? std::string_view(arena_).substr(span.begin, span.length)
                                 : std::string_view(buffer_.data() + span.begin, span.length);
    }
    ++records_;
    return true;
  }
}

}  // namespace slatetrain
