// One output file written whole: under an unused temporary name beside the target, then renamed
// into place. Nothing that exists is ever opened for writing, truncated or removed: the
// temporary is a name nothing has (O_EXCL), and the rename never replaces what appeared at the
// target unless the caller has checked that the target is its own to replace.
#pragma once

#include <cstddef>
#include <string>

namespace slatetrain {

// `<base>-<pid>`, or `<base>-<pid>-<n>` when that name is taken (a dangling link counts).
std::string unused_name(const std::string& base);
// rename() that never replaces an existing entry. Returns errno, 0 on success.
int rename_no_replace(const std::string& from, const std::string& to);

class OutputFile {
 public:
  // Creates `<target>.tmp-<pid>[-n]` (never an existing name).
  explicit OutputFile(std::string target);
  // An uncommitted temporary is removed (a failed write leaves nothing behind).
  ~OutputFile();
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  const std::string& target() const { return target_; }
  const std::string& temporary() const { return temporary_; }
  void write(const void* data, size_t size);
  void write(const std::string& text) { write(text.data(), text.size()); }
  // Flushes, fsyncs and closes, then renames into place: over an existing target only with
  // `replace` (the caller checked that it is its own), otherwise never over anything.
  void commit(bool replace = false);

 private:
  void flush();
  void write_all(const char* bytes, size_t size);

  std::string target_;
  std::string temporary_;
  std::string buffer_;
  int descriptor_ = -1;
  bool committed_ = false;
};

}  // namespace slatetrain
