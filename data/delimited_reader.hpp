// DelimitedReader: streams the records of a delimited text file (CSV, TSV, MovieLens "::")
// in large buffered reads, without holding the file: a record's fields are views valid until
// the next call. With quotes on it follows RFC 4180: a field may be enclosed in double quotes,
// inside which delimiters and line breaks are data and "" is one quote (Amazon-M2's
// NumPy-printed lists span lines this way). CRLF line ends, a UTF-8 byte order mark and empty
// lines are accepted. Every error names the file, the line and the column.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

namespace slatetrain {

struct DelimitedOptions {
  std::string delimiter = ",";  // one or more characters ("\t", ",", "::")
  bool quotes = true;           // RFC 4180 quoting; off: every character is data
};

class DelimitedReader {
 public:
  DelimitedReader(const std::string& path, const DelimitedOptions& options);
  ~DelimitedReader();
  DelimitedReader(const DelimitedReader&) = delete;
  DelimitedReader& operator=(const DelimitedReader&) = delete;

  // Reads the next non-empty record; false at the end of the file.
  bool next();
  const std::vector<std::string_view>& fields() const { return fields_; }
  size_t size() const { return fields_.size(); }
  std::string_view operator[](size_t column) const { return fields_[column]; }

  const std::string& path() const { return path_; }
  int64_t line() const { return record_line_; }  // 1-based line where the record starts
  int64_t records() const { return records_; }   // records returned so far
  int64_t bytes_consumed() const { return consumed_; }
  int64_t file_bytes() const { return file_bytes_; }
  // "PATH:LINE" and "PATH:LINE: column N" for messages (columns count from 1).
  std::string where() const;
  std::string where(size_t column) const;

 private:
  // Parses one record at pos_; false when the buffer ends first (more input is needed).
  bool parse_record();
  bool refill();  // moves the unparsed tail to the front and reads more; false at the end
  bool at_delimiter(size_t i) const;

  struct Span {
    bool quoted = false;
    bool in_arena = false;
    size_t begin = 0, length = 0;
  };

  std::string path_;
  DelimitedOptions options_;
  FILE* file_ = nullptr;
  int64_t file_bytes_ = 0;
  std::vector<char> buffer_;
  size_t pos_ = 0, end_ = 0;  // unparsed input is buffer_[pos_, end_)
  bool eof_ = false;
  int64_t consumed_ = 0;   // bytes before buffer_[pos_]
  int64_t next_line_ = 1;  // the line at buffer_[pos_]
  int64_t record_line_ = 0;
  int64_t records_ = 0;
  std::vector<Span> spans_;
  std::string arena_;  // unescaped quoted fields
  std::vector<std::string_view> fields_;
};

}  // namespace slatetrain
