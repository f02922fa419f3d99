// The values a numeric configuration key accepts: an interval, each end open or closed, either
// end possibly infinite. Declared once per key (launch/run_config.cpp); the check, the --help
// text, docs/CONFIG.md and the error messages are all written from it.
#pragma once

#include <cmath>
#include <iomanip>
#include <limits>
#include <sstream>
#include <string>

namespace slatetrain {

struct NumberRange {
  double lower = -std::numeric_limits<double>::infinity();
  double upper = std::numeric_limits<double>::infinity();
  bool lower_open = false;
  bool upper_open = false;

  bool contains(double value) const {
    const bool above = lower_open ? value > lower : value >= lower;
    const bool below = upper_open ? value < upper : value <= upper;
    return above && below;
  }
  bool bounded_above() const { return std::isfinite(upper); }

  // "[0, 1)" for a bounded interval, "> 0" or ">= 1" for a half-line.
  std::string text() const {
    std::ostringstream out;
    out << std::setprecision(15);  // integer bounds print whole, e.g. 2147483647
    if (bounded_above()) {
      out << (lower_open ? "(" : "[") << lower << ", " << upper << (upper_open ? ")" : "]");
    } else {
      out << (lower_open ? "> " : ">= ") << lower;
    }
    return out.str();
  }
  // How a value outside the range is described: "outside [0, 1)" or "not > 0".
  std::string violation() const { return bounded_above() ? "outside " + text() : "not " + text(); }
};

inline NumberRange at_least(double lower) {
  return {lower};
}
inline NumberRange above(double lower) {
  return {lower, NumberRange{}.upper, true, false};
}
// [lower, upper)
inline NumberRange from_below(double lower, double upper) {
  return {lower, upper, false, true};
}
// [lower, upper]
inline NumberRange between(double lower, double upper) {
  return {lower, upper, false, false};
}

}  // namespace slatetrain
