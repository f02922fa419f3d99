// An output directory that appears atomically: everything is written into a temporary
// directory beside the target (`<output>.tmp-<pid>`), which commit() renames into place.
// Destroyed without commit() (an error, an exception), the temporary directory is removed,
// so a failed run leaves nothing behind.
//
// Nothing that is not ours is deleted or overwritten (docs/DATA_SAFETY.md): the target must
// never be or contain an input; an existing target is an error unless `force`, and even then
// it is replaced only if it is an output of the same kind that slateconvert wrote and that
// holds nothing else (checked when constructed, before any work, and again at commit()).
#pragma once

#include <string>
#include <vector>

#include "data/output_ownership.hpp"

namespace slatetrain {

// What the constructor checks before it creates anything: the name, the inputs, and that an
// existing `target` may be replaced (force, and ours). For a command that must refuse before
// any work on every rank alike, then makes the OutputDirectory on one rank.
void require_usable_output(const std::string& target, bool force, OutputKind kind,
                           const std::vector<std::string>& inputs = {});

class OutputDirectory {
 public:
  // `inputs`: every path the command reads (files, or a directory of them).
  OutputDirectory(const std::string& target, bool force, OutputKind kind,
                  const std::vector<std::string>& inputs = {});
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
  OutputKind kind_;
  bool committed_ = false;
};

}  // namespace slatetrain
