// Progress of long work (conversion, training, evaluation): a bar redrawn in place on a
// terminal, a plain line every few seconds otherwise (logs, SLURM output files).
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace slatetrain {

class Progress {
 public:
  // label: what is being done ("convert"); total: units expected (0 if unknown);
  // unit: what a unit is ("users", "interactions"). Writes to `out` (stderr by default).
  Progress(std::string label, int64_t total, std::string unit, FILE* out = stderr);
  ~Progress();

  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // Reports that `done` units are complete; `extra` is appended (e.g. "loss 3.21").
  // Cheap to call often: it draws at most a few times a second.
  void update(int64_t done, const std::string& extra = "");
  // Draws the final state once and ends the line.
  void finish(const std::string& extra = "");

  // Seconds since construction.
  double elapsed_seconds() const;
  // Units per second so far.
  double rate() const;

  // Off for ranks other than 0, for example.
  void set_enabled(bool enabled) { enabled_ = enabled; }

 private:
  void draw(bool final_line);

  std::string label_;
  int64_t total_;
  std::string unit_;
  FILE* out_;
  bool terminal_;
  bool enabled_ = true;
  bool finished_ = false;
  int64_t done_ = 0;
  std::string extra_;
  double line_interval_seconds_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

// "1.23M", "45.6k": short human numbers for progress lines.
std::string human_count(double value);
// "1h02m", "3m05s", "12s".
std::string human_duration(double seconds);

}  // namespace slatetrain
