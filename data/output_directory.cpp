#include "data/output_directory.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "core/error.hpp"
#include "data/output_file.hpp"

namespace slatetrain {

namespace fs = std::filesystem;

namespace {

// "out/" and "out" name the same directory; the temporary one goes beside it.
std::string without_trailing_slashes(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

bool exists_or_dangling(const std::string& path) {
  std::error_code error;
  return fs::symlink_status(path, error).type() != fs::file_type::not_found;
}

// Throws unless an existing `target` may be replaced (force, and ours).
void require_replaceable(const std::string& target, bool force, OutputKind kind, bool at_commit) {
  if (!exists_or_dangling(target)) return;
  // Not ours: refused outright (suggesting --force would only lead to the same refusal).
  const std::string reason = why_not_ours(target, kind);
  REQUIRE(reason.empty(),
          target << (at_commit ? ": appeared while converting" : ": the output already exists")
                 << " and is not ours to replace: --force replaces only "
                 << output_kind_description(kind) << " holding nothing else, but " << reason
                 << "; nothing was changed");
  REQUIRE(force,
          target << (at_commit ? ": appeared while converting" : ": the output already exists")
                 << " (use --force to replace it)");
}

}  // namespace

void require_usable_output(const std::string& target, bool force, OutputKind kind,
                           const std::vector<std::string>& inputs) {
  const std::string path = without_trailing_slashes(target);
  REQUIRE(!path.empty(), "the output directory name is empty");
  const std::string name = fs::path(path).filename().string();
  REQUIRE(name != "." && name != ".." && path != "/",
          path << ": name the output directory itself, not '.', '..' or '/'");
  require_apart_from_inputs(path, inputs);
  require_replaceable(path, force, kind, /*at_commit=*/false);
}

OutputDirectory::OutputDirectory(const std::string& target, bool force, OutputKind kind,
                                 const std::vector<std::string>& inputs)
    : target_(without_trailing_slashes(target)), force_(force), kind_(kind) {
  require_usable_output(target_, force_, kind_, inputs);
  std::error_code error;
  const fs::path parent = fs::path(target_).parent_path();
  if (!parent.empty()) {
    fs::create_directories(parent, error);
    REQUIRE(!error, parent.string() << ": cannot create the parent directory: " << error.message());
  }
  for (;;) {
    temporary_ = unused_name(target_ + ".tmp");
    if (fs::create_directory(temporary_, error)) break;
    REQUIRE(!error || error == std::errc::file_exists,
            temporary_ << ": cannot create the temporary output directory: " << error.message());
  }
}

OutputDirectory::~OutputDirectory() {
  if (committed_) return;
  std::error_code error;
  fs::remove_all(temporary_, error);  // ours alone; best effort: nothing useful to do on failure
}

void OutputDirectory::commit() {
  REQUIRE(!committed_, target_ << ": committed twice");
  // The target may have changed while converting: check again right before replacing it.
  require_replaceable(target_, force_, kind_, /*at_commit=*/true);
  std::string replaced;
  if (exists_or_dangling(target_)) {
    replaced = unused_name(target_ + ".old");
    const int failure = rename_no_replace(target_, replaced);
    REQUIRE(failure == 0,
            target_ << ": cannot move the old output aside: " << std::strerror(failure));
  }
  const int failure = rename_no_replace(temporary_, target_);
  if (failure != 0) {
    if (!replaced.empty()) rename_no_replace(replaced, target_);  // put the old output back
    RAISE(target_ << ": cannot rename " << temporary_ << " into place: " << std::strerror(failure));
  }
  committed_ = true;
  std::error_code error;
  if (!replaced.empty()) fs::remove_all(replaced, error);  // checked as ours above
}

}  // namespace slatetrain
