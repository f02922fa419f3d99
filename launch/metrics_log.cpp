#include "launch/metrics_log.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/error.hpp"

namespace slatetrain {

MetricsLog::~MetricsLog() {
  if (descriptor_ >= 0) ::close(descriptor_);
}

void MetricsLog::open(const std::string& path) {
  path_ = path;
  descriptor_ = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  REQUIRE(descriptor_ >= 0, path << ": cannot open the metrics log: " << std::strerror(errno));
}

void MetricsLog::write(const nlohmann::json& record) {
  if (descriptor_ < 0) return;
  const std::string line = record.dump() + "\n";
  struct stat before {};
  REQUIRE(::fstat(descriptor_, &before) == 0,
          path_ << ": cannot write the metrics log: " << std::strerror(errno));
  size_t done = 0;
  while (done < line.size()) {
    const ssize_t written = ::write(descriptor_, line.data() + done, line.size() - done);
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) {
      const int saved = written < 0 ? errno : ENOSPC;
      // Only rank 0 of the one run holding the directory appends: cutting back is safe.
      if (done > 0 && ::ftruncate(descriptor_, before.st_size) != 0) {
        RAISE(path_ << ": cannot write the metrics log: " << std::strerror(saved)
                    << " (and cannot cut the partial line back: " << std::strerror(errno) << ")");
      }
      RAISE(path_ << ": cannot write the metrics log: " << std::strerror(saved)
                  << " (the line was not written)");
    }
    done += static_cast<size_t>(written);
  }
}

void MetricsLog::sync() {
  if (descriptor_ < 0) return;
  REQUIRE(::fsync(descriptor_) == 0,
          path_ << ": cannot sync the metrics log: " << std::strerror(errno));
}

}  // namespace slatetrain
