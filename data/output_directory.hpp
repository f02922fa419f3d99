// An output directory that appears atomically: everything is written into a temporary
// directory beside the target (`<output>.tmp-<pid>`), which commit() renames into place.
// Destroyed without commit() (an error, an exception), the temporary directory is removed,
// so a failed run leaves nothing behind. An existing target is an error unless `force`; with
// force it is replaced only by a successful commit().
#pragma once

#include <string>

namespace slatetrain {

class OutputDirectory {
 public:
  OutputDirectory(const std::string& target, bool force);
  ~OutputDirectory();
  OutputDirectory(const OutputDirectory&) = delete;
  OutputDirectory& operator=(const OutputDirectory&) = delete;

  // Where to write now.
  const std::string& temporary_path() const { return temporary_; }
  const std::string& target_path() const { return target_; }
  // Moves the finished directory into place (replacing an existing target under force).
  void commit();

 private:
  std::string target_;
  std::string temporary_;
  bool force_;
  bool committed_ = false;
};

}  // namespace slatetrain
