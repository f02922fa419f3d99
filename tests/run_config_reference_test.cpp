// The keys' one declaration drives everything a user reads: docs/CONFIG.md must equal what the
// code writes, --help shows every range, and every declared bound is enforced.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>
#include <string>

#include "core/error.hpp"
#include "launch/run_config.hpp"

namespace slatetrain {
namespace {

std::string error_of(const std::vector<std::string>& overrides) {
  try {
    parse_run_config("data:\n  path: d\n", "config.yaml", overrides);
  } catch (const Error& error) {
    return error.what();
  }
  return "";
}

std::string number_text(double value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

// The setting of `key` to `value` (evaluation.k takes a list).
std::string assignment(const ConfigKeyInfo& info, double value) {
  const std::string text = number_text(value);
  return info.key + "=" + (info.key == "evaluation.k" ? "[" + text + "]" : text);
}

TEST(RunConfigReference, DocsConfigMdEqualsTheDeclarations) {
  const std::string path = std::string(SLATETRAIN_SOURCE_DIR) + "/docs/CONFIG.md";
  std::ifstream file(path);
  ASSERT_TRUE(file) << path << " is missing: build/launch/slatetrain --config-reference > " << path;
  std::stringstream text;
  text << file.rdbuf();
  EXPECT_EQ(text.str(), config_reference_markdown())
      << path
      << " differs from the code: regenerate it with build/launch/slatetrain "
         "--config-reference > docs/CONFIG.md";
}

TEST(RunConfigReference, HelpShowsEveryKeyWithItsRange) {
  const std::string help = describe_run_config_keys();
  for (const auto& info : run_config_keys()) {
    EXPECT_NE(help.find("  " + info.key + " ("), std::string::npos) << info.key;
    if (info.numeric) {
      EXPECT_NE(help.find(info.range.text()), std::string::npos) << info.key;
    }
  }
}

TEST(RunConfigReference, EveryNumericKeyHasARangeAndEnforcesIt) {
  int checked = 0;
  for (const auto& info : run_config_keys()) {
    if (!info.numeric) continue;
    const NumberRange& range = info.range;
    ASSERT_TRUE(std::isfinite(range.lower)) << info.key << " has no lower bound";
    const double step = info.integer ? 1.0 : 0.5;
    const double below = range.lower_open ? range.lower : range.lower - step;
    std::string message = error_of({assignment(info, below)});
    EXPECT_NE(message.find(info.key + " = " + number_text(below) + " is " + range.violation()),
              std::string::npos)
        << info.key << " = " << below << ": " << message;
    ++checked;
    if (range.bounded_above()) {
      const double beyond = range.upper_open ? range.upper : range.upper + step;
      message = error_of({assignment(info, beyond)});
      EXPECT_NE(message.find(info.key + " = " + number_text(beyond) + " is " + range.violation()),
                std::string::npos)
          << info.key << " = " << beyond << ": " << message;
    }
    if (!range.lower_open && info.key != "evaluation.k") {
      EXPECT_EQ(error_of({assignment(info, range.lower)}), "") << info.key << " at its bound";
    }
  }
  EXPECT_GE(checked, 38);
}

TEST(RunConfigReference, DefaultsAreWithinTheirRanges) {
  const RunConfig defaults = parse_run_config("data:\n  path: d\n", "config.yaml", {});
  for (const auto& info : run_config_keys()) {
    if (!info.numeric || info.key == "evaluation.k") continue;
    EXPECT_TRUE(info.range.contains(std::stod(info.default_value)))
        << info.key << " default " << info.default_value << " outside " << info.range.text();
  }
}

}  // namespace
}  // namespace slatetrain
