// metrics.jsonl in the run directory: one JSON object a line (training progress, each
// validation, the final results), appended by rank 0 and flushed at once so a killed run keeps
// what it logged.
#pragma once

#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

namespace slatetrain {

class MetricsLog {
 public:
  MetricsLog() = default;
  ~MetricsLog();
  MetricsLog(const MetricsLog&) = delete;
  MetricsLog& operator=(const MetricsLog&) = delete;

  // Opens path for appending (creates it); without open() the log writes nothing (ranks > 0).
  void open(const std::string& path);
  void write(const nlohmann::json& record);

 private:
  FILE* file_ = nullptr;
  std::string path_;
};

}  // namespace slatetrain
