#include "launch/metrics_log.hpp"

#include <cerrno>
#include <cstring>

#include "core/error.hpp"

namespace slatetrain {

MetricsLog::~MetricsLog() {
  if (file_ != nullptr) std::fclose(file_);
}

void MetricsLog::open(const std::string& path) {
  path_ = path;
  file_ = std::fopen(path.c_str(), "a");
  REQUIRE(file_ != nullptr, path << ": cannot open the metrics log: " << std::strerror(errno));
}

void MetricsLog::write(const nlohmann::json& record) {
  if (file_ == nullptr) return;
  const std::string line = record.dump() + "\n";
  REQUIRE(std::fwrite(line.data(), 1, line.size(), file_) == line.size() && std::fflush(file_) == 0,
          path_ << ": cannot write the metrics log: " << std::strerror(errno));
}

}  // namespace slatetrain
