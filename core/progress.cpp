#include "core/progress.hpp"

#include <unistd.h>

#include <cmath>
#include <cstdlib>

namespace slatetrain {

namespace {

double seconds_between(std::chrono::steady_clock::time_point a,
                       std::chrono::steady_clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

}  // namespace

std::string human_count(double value) {
  char buffer[32];
  const double magnitude = std::fabs(value);
  if (magnitude >= 1e9) {
    std::snprintf(buffer, sizeof buffer, "%.2fG", value / 1e9);
  } else if (magnitude >= 1e6) {
    std::snprintf(buffer, sizeof buffer, "%.2fM", value / 1e6);
  } else if (magnitude >= 1e3) {
    std::snprintf(buffer, sizeof buffer, "%.1fk", value / 1e3);
  } else {
    std::snprintf(buffer, sizeof buffer, "%.0f", value);
  }
  return buffer;
}

std::string human_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const long total = static_cast<long>(seconds + 0.5);
  char buffer[32];
  if (total >= 3600) {
    std::snprintf(buffer, sizeof buffer, "%ldh%02ldm", total / 3600, (total % 3600) / 60);
  } else if (total >= 60) {
    std::snprintf(buffer, sizeof buffer, "%ldm%02lds", total / 60, total % 60);
  } else {
    std::snprintf(buffer, sizeof buffer, "%lds", total);
  }
  return buffer;
}

Progress::Progress(std::string label, int64_t total, std::string unit, FILE* out)
    : label_(std::move(label)),
      total_(total),
      unit_(std::move(unit)),
      out_(out),
      terminal_(isatty(fileno(out)) != 0),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {
  // In logs a line every 10 s by default; SLATETRAIN_PROGRESS_SECONDS overrides it.
  const char* interval = std::getenv("SLATETRAIN_PROGRESS_SECONDS");
  line_interval_seconds_ = interval != nullptr ? std::atof(interval) : 10.0;
}

Progress::~Progress() {
  if (!finished_ && terminal_ && enabled_ && done_ > 0) std::fputc('\n', out_);
}

double Progress::elapsed_seconds() const {
  return seconds_between(start_, std::chrono::steady_clock::now());
}

double Progress::rate() const {
  const double elapsed = elapsed_seconds();
  return elapsed > 0 ? static_cast<double>(done_) / elapsed : 0.0;
}

void Progress::update(int64_t done, const std::string& extra) {
  done_ = done;
  extra_ = extra;
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  const double since = seconds_between(last_draw_, now);
  if (since < (terminal_ ? 0.2 : line_interval_seconds_)) return;
  last_draw_ = now;
  draw(false);
}

void Progress::finish(const std::string& extra) {
  if (finished_) return;
  finished_ = true;
  if (!extra.empty()) extra_ = extra;
  if (enabled_) draw(true);
}

void Progress::draw(bool final_line) {
  const double elapsed = elapsed_seconds();
  const double per_second = elapsed > 0 ? static_cast<double>(done_) / elapsed : 0.0;
  std::string line = label_ + " ";
  char buffer[160];
  if (total_ > 0) {
    const double fraction = std::min(1.0, static_cast<double>(done_) / static_cast<double>(total_));
    if (terminal_) {
      constexpr int kWidth = 24;
      const int filled = static_cast<int>(fraction * kWidth);
      line += "[" + std::string(filled, '#') + std::string(kWidth - filled, '.') + "] ";
    }
    const double remaining =
        per_second > 0 ? static_cast<double>(total_ - done_) / per_second : INFINITY;
    std::snprintf(buffer, sizeof buffer, "%5.1f%% %s/%s %s %s/s elapsed %s ETA %s",
                  100.0 * fraction, human_count(static_cast<double>(done_)).c_str(),
                  human_count(static_cast<double>(total_)).c_str(), unit_.c_str(),
                  human_count(per_second).c_str(), human_duration(elapsed).c_str(),
                  final_line ? "0s" : human_duration(remaining).c_str());
  } else {
    std::snprintf(buffer, sizeof buffer, "%s %s %s/s elapsed %s",
                  human_count(static_cast<double>(done_)).c_str(), unit_.c_str(),
                  human_count(per_second).c_str(), human_duration(elapsed).c_str());
  }
  line += buffer;
  if (!extra_.empty()) line += "  " + extra_;
  if (terminal_) {
    std::fprintf(out_, "\r\033[K%s%s", line.c_str(), final_line ? "\n" : "");
  } else {
    std::fprintf(out_, "%s\n", line.c_str());
  }
  std::fflush(out_);
}

}  // namespace slatetrain
