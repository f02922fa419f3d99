// metrics.jsonl in the run directory: one JSON object a line (training progress, each
// validation, the start/resume markers, the final results), appended by rank 0. Each line goes
// out in one write(2) straight to the file, so a killed run keeps what it logged; a write that
// fails part way (a full disk) is cut back to the line before, so the file never holds a torn
// line. sync() makes the lines durable (called with every checkpoint).
#pragma once

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
  void sync();

 private:
  int descriptor_ = -1;
  std::string path_;
};

}  // namespace slatetrain
