#include "launch/run_directory.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <random>

#include "core/error.hpp"
#include "core/random.hpp"

namespace slatetrain {

namespace fs = std::filesystem;

namespace {

constexpr const char* kLockFile = "slatetrain.lock";

std::string read_text(int descriptor) {
  std::string text;
  char buffer[512];
  ssize_t count = 0;
  if (::lseek(descriptor, 0, SEEK_SET) < 0) return text;
  while ((count = ::read(descriptor, buffer, sizeof buffer)) > 0) text.append(buffer, count);
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

}  // namespace

std::string host_name() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return "unknown-host";
  return name;
}

std::string utc_time_text() {
  const std::time_t now = std::time(nullptr);
  std::tm parts{};
  gmtime_r(&now, &parts);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &parts);
  return text;
}

std::string new_run_id() {
  std::random_device device;
  const uint64_t nanoseconds = static_cast<uint64_t>(
      std::chrono::system_clock::now().time_since_epoch() / std::chrono::nanoseconds(1));
  uint64_t host = 0;
  for (const char c : host_name()) host = host * 131 + static_cast<unsigned char>(c);
  const uint64_t id = hash_mix(nanoseconds ^ (static_cast<uint64_t>(device()) << 32), host,
                               static_cast<uint64_t>(::getpid()));
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(id));
  return text;
}

RunDirectoryLock::RunDirectoryLock(const std::string& run_directory) {
  std::error_code error;
  fs::create_directories(run_directory, error);
  REQUIRE(!error, run_directory << ": cannot create the run directory: " << error.message());
  const std::string path = (fs::path(run_directory) / kLockFile).string();
  descriptor_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  REQUIRE(descriptor_ >= 0,
          path << ": cannot open the run directory's lock: " << std::strerror(errno));
  if (::flock(descriptor_, LOCK_EX | LOCK_NB) != 0) {
    const int saved = errno;
    const std::string holder = read_text(descriptor_);
    ::close(descriptor_);
    descriptor_ = -1;
    REQUIRE(saved != EWOULDBLOCK, run_directory << " is in use by another slatetrain run ("
                                                << (holder.empty() ? "holder unknown" : holder)
                                                << "; lock " << path
                                                << "): wait for it to end or set run.dir "
                                                   "to another directory");
    RAISE(path << ": cannot lock the run directory: " << std::strerror(saved));
  }
  // The holder's name for whoever is refused next; the lock file itself is never removed
  // (removing it would let two runs lock two different files).
  char text[512];
  const int length =
      std::snprintf(text, sizeof text, "pid %ld on host %s, since %s\n",
                    static_cast<long>(::getpid()), host_name().c_str(), utc_time_text().c_str());
  if (::ftruncate(descriptor_, 0) == 0) {
    const ssize_t written = ::pwrite(descriptor_, text, static_cast<size_t>(length), 0);
    (void)written;  // the lock holds without the note
  }
}

RunDirectoryLock::~RunDirectoryLock() {
  if (descriptor_ >= 0) ::close(descriptor_);
}

std::string claim_run_directory(const std::string& run_directory,
                                const CheckpointDirectory& checkpoints, bool overwrite) {
  const auto found = checkpoints.all_checkpoints();
  if (!overwrite) {
    if (found.empty()) return "";
    RAISE(run_directory << " holds checkpoints of another run (" << found.size() << ", newest "
                        << found.back()
                        << "); a new run will not mix with them: continue that run with "
                           "--resume, set run.dir to another directory, or pass --overwrite to "
                           "move them aside (to "
                        << (fs::path(run_directory) / "replaced").string() << "/<time>/)");
  }
  const fs::path root(run_directory);
  std::vector<fs::path> previous;
  for (const fs::path& candidate : {fs::path(checkpoints.path()), root / "metrics.jsonl",
                                    root / "summary.json", root / "config.yaml"}) {
    std::error_code error;
    if (fs::exists(candidate, error)) previous.push_back(candidate);
  }
  if (previous.empty()) return "";
  std::string stamp = utc_time_text();
  for (char& c : stamp) c = c == ':' ? '-' : c;
  fs::path aside = root / "replaced" / stamp;
  for (int suffix = 2; fs::exists(aside); ++suffix) {
    aside = root / "replaced" / (stamp + "-" + std::to_string(suffix));
  }
  std::error_code error;
  fs::create_directories(aside, error);
  REQUIRE(!error, aside.string() << ": cannot create it to move the previous run aside: "
                                 << error.message());
  for (const fs::path& from : previous) {
    const fs::path to = aside / from.filename();
    REQUIRE(std::rename(from.c_str(), to.c_str()) == 0,
            "--overwrite: cannot move " << from.string() << " to " << to.string() << ": "
                                        << std::strerror(errno));
  }
  return aside.string();
}

}  // namespace slatetrain
