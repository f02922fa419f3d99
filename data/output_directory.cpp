#include "data/output_directory.hpp"

#include <unistd.h>

#include <filesystem>
#include <system_error>

#include "core/error.hpp"

namespace slatetrain {

namespace fs = std::filesystem;

namespace {

// "out/" and "out" name the same directory; the temporary one goes beside it.
std::string without_trailing_slashes(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

}  // namespace

OutputDirectory::OutputDirectory(const std::string& target, bool force)
    : target_(without_trailing_slashes(target)), force_(force) {
  REQUIRE(!target_.empty(), "the output directory name is empty");
  std::error_code error;
  REQUIRE(!fs::exists(target_, error) || force_,
          target_ << ": the output already exists (use --force to replace it)");
  const fs::path parent = fs::path(target_).parent_path();
  if (!parent.empty()) {
    fs::create_directories(parent, error);
    REQUIRE(!error, parent.string() << ": cannot create the parent directory: " << error.message());
  }
  temporary_ = target_ + ".tmp-" + std::to_string(getpid());
  fs::remove_all(temporary_, error);  // a leftover of a crashed run with the same pid
  REQUIRE(fs::create_directory(temporary_, error) && !error,
          temporary_ << ": cannot create the temporary output directory: " << error.message());
}

OutputDirectory::~OutputDirectory() {
  if (committed_) return;
  std::error_code error;
  fs::remove_all(temporary_, error);  // best effort: nothing useful to do if this fails
}

void OutputDirectory::commit() {
  REQUIRE(!committed_, target_ << ": committed twice");
  std::error_code error;
  std::string replaced;
  if (fs::exists(target_, error)) {
    REQUIRE(force_, target_ << ": appeared while converting (use --force to replace it)");
    replaced = target_ + ".old-" + std::to_string(getpid());
    fs::remove_all(replaced, error);
    fs::rename(target_, replaced, error);
    REQUIRE(!error, target_ << ": cannot move the old output aside: " << error.message());
  }
  fs::rename(temporary_, target_, error);
  if (error) {
    if (!replaced.empty()) fs::rename(replaced, target_);  // put the old output back
    RAISE(target_ << ": cannot rename " << temporary_ << " into place: " << error.message());
  }
  committed_ = true;
  if (!replaced.empty()) fs::remove_all(replaced, error);
}

}  // namespace slatetrain
