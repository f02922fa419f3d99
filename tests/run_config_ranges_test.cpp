// Every configuration value is checked against its declared range, in the file and in --set,
// and the error names the key, the value, the range and where it came from; a key given twice
// in one map is an error naming both lines.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/error.hpp"
#include "launch/run_config.hpp"

namespace slatetrain {
namespace {

std::string error_of(const std::string& yaml, const std::vector<std::string>& overrides = {}) {
  try {
    parse_run_config(yaml, "config.yaml", overrides);
  } catch (const Error& error) {
    return error.what();
  }
  return "";
}

// "section.sub.key" -> YAML text setting it (after data.path) to `value`; the key's line is
// the last one.
std::string yaml_setting(const std::string& key, const std::string& value, int& line) {
  std::string text = "data:\n  path: d\n";
  line = 2;
  std::string indent;
  size_t start = 0;
  for (size_t dot = key.find('.'); dot != std::string::npos; dot = key.find('.', start)) {
    text += indent + key.substr(start, dot - start) + ":\n";
    ++line;
    indent += "  ";
    start = dot + 1;
  }
  text += indent + key.substr(start) + ": " + value + "\n";
  ++line;
  return text;
}

struct OutOfRange {
  const char* key;
  const char* value;
  const char* range;  // as the message shows it
};

// The ranges a user relies on, pinned here so that loosening a declaration fails a test.
const OutOfRange kOutOfRange[] = {
    {"optimizer.dense.beta1", "1.5", "outside [0, 1)"},
    {"optimizer.dense.beta1", "1", "outside [0, 1)"},
    {"optimizer.dense.beta1", "-0.1", "outside [0, 1)"},
    {"optimizer.dense.beta2", "1.0", "outside [0, 1)"},
    {"optimizer.dense.epsilon", "0", "not > 0"},
    {"optimizer.dense.learning_rate", "0", "not > 0"},
    {"optimizer.dense.weight_decay", "-0.01", "not >= 0"},
    {"optimizer.embedding.learning_rate", "0", "not > 0"},
    {"optimizer.embedding.beta1", "1", "outside [0, 1)"},
    {"optimizer.embedding.beta2", "2", "outside [0, 1)"},
    {"optimizer.embedding.epsilon", "-1e-8", "not > 0"},
    {"optimizer.embedding.initial_accumulator", "-0.1", "not >= 0"},
    {"model.dim", "0", "not >= 1"},
    {"model.dim", "3000000000", "outside [1, 2147483647]"},
    {"model.hidden", "-1", "not >= 0"},
    {"model.layers", "0", "not >= 1"},
    {"model.heads", "0", "not >= 1"},
    {"model.ffn", "-4", "not >= 0"},
    {"model.dropout", "1", "outside [0, 1)"},
    {"model.dropout", "-0.5", "outside [0, 1)"},
    {"model.attention_dropout", "1.2", "outside [0, 1)"},
    {"model.layer_norm_epsilon", "0", "not > 0"},
    {"model.init_scale", "-0.1", "not >= 0"},
    {"model.max_length", "-1", "not >= 0"},
    {"objective.negatives", "0", "not >= 1"},
    {"objective.sampler_power", "-1", "not >= 0"},
    {"objective.slate_weight", "-1", "not >= 0"},
    {"objective.catalogue_weight", "-2", "not >= 0"},
    {"schedule.epochs", "0", "not >= 1"},
    {"schedule.max_steps", "-1", "not >= 0"},
    {"schedule.batch_users", "0", "not >= 1"},
    {"schedule.warmup_steps", "-5", "not >= 0"},
    {"schedule.min_learning_rate_fraction", "1.5", "outside [0, 1]"},
    {"schedule.gradient_clip", "-1", "not >= 0"},
    {"evaluation.every_steps", "-1", "not >= 0"},
    {"evaluation.patience", "-1", "not >= 0"},
    {"evaluation.batch_users", "0", "not >= 1"},
    {"evaluation.max_users", "-1", "not >= 0"},
    {"checkpoint.every_steps", "-1", "not >= 0"},
    {"checkpoint.keep", "0", "not >= 1"},
    {"checkpoint.chunk_rows", "0", "not >= 1"},
    {"logging.progress_seconds", "-1", "not >= 0"},
    {"logging.metrics_every_steps", "0", "not >= 1"},
    {"loader.prefetch_batches", "0", "not >= 1"},
    {"run.threads", "-1", "not >= 0"},
};

TEST(RunConfigRanges, FileValuesOutsideTheirRangeNameKeyValueRangeAndLine) {
  for (const auto& bad : kOutOfRange) {
    int line = 0;
    const std::string message = error_of(yaml_setting(bad.key, bad.value, line));
    const std::string expected = "config.yaml:" + std::to_string(line) + ": " + bad.key + " = " +
                                 bad.value + " is " + bad.range;
    EXPECT_NE(message.find(expected), std::string::npos)
        << "expected '" << expected << "' in: " << message;
  }
}

TEST(RunConfigRanges, OverridesOutsideTheirRangeNameTheSet) {
  for (const auto& bad : kOutOfRange) {
    const std::string assignment = std::string(bad.key) + "=" + bad.value;
    const std::string message = error_of("data:\n  path: d\n", {assignment});
    const std::string expected =
        "--set " + assignment + ": " + bad.key + " = " + bad.value + " is " + bad.range;
    EXPECT_NE(message.find(expected), std::string::npos)
        << "expected '" << expected << "' in: " << message;
  }
}

TEST(RunConfigRanges, NonFiniteNumbersAreRefused) {
  for (const char* value : {".nan", ".inf", "-.inf"}) {
    int line = 0;
    const std::string message = error_of(yaml_setting("schedule.gradient_clip", value, line));
    EXPECT_NE(message.find("config.yaml:" + std::to_string(line) + ": schedule.gradient_clip"),
              std::string::npos)
        << value << ": " << message;
    EXPECT_NE(message.find("finite"), std::string::npos) << value << ": " << message;
  }
}

TEST(RunConfigRanges, CutOffsBelowOneNameTheKey) {
  const std::string message = error_of("data:\n  path: d\nevaluation:\n  k: [10, 0]\n");
  EXPECT_NE(message.find("config.yaml:4: evaluation.k = 0 is not >= 1"), std::string::npos)
      << message;
}

TEST(RunConfigRanges, BoundsThemselvesAreAccepted) {
  const auto config = parse_run_config(
      "data:\n  path: d\noptimizer:\n  dense:\n    beta1: 0\n    beta2: 0.9999\n"
      "    weight_decay: 0\nmodel:\n  dropout: 0\n  hidden: 0\nschedule:\n"
      "  min_learning_rate_fraction: 1\n",
      "config.yaml", {"evaluation.max_users=0", "model.attention_dropout=0.99"});
  EXPECT_EQ(config.dense_optimizer.beta1, 0.0);
  EXPECT_EQ(config.schedule.min_learning_rate_fraction, 1.0);
  EXPECT_EQ(config.model.attention_dropout, 0.99);
}

TEST(RunConfigRanges, DuplicatedSectionNamesBothLines) {
  const std::string message =
      error_of("data:\n  path: d\nmodel:\n  dim: 8\nschedule:\n  epochs: 2\nmodel:\n  dim: 16\n");
  EXPECT_NE(message.find("config.yaml:7"), std::string::npos) << message;
  EXPECT_NE(message.find("'model'"), std::string::npos) << message;
  EXPECT_NE(message.find("lines 3 and 7"), std::string::npos) << message;
}

TEST(RunConfigRanges, DuplicatedKeyInASectionNamesItsPathAndBothLines) {
  const std::string message = error_of(
      "data:\n  path: d\noptimizer:\n  dense:\n    beta1: 0.8\n    beta2: 0.99\n"
      "    beta1: 0.7\n");
  EXPECT_NE(message.find("config.yaml:7"), std::string::npos) << message;
  EXPECT_NE(message.find("'optimizer.dense.beta1'"), std::string::npos) << message;
  EXPECT_NE(message.find("lines 5 and 7"), std::string::npos) << message;
}

// The value checked is the one the run uses: a --set replaces a bad file value before it is
// judged, and a bad --set is refused even when the file's value was good.
TEST(RunConfigRanges, TheEffectiveValueIsChecked) {
  const std::string file = "data:\n  path: d\noptimizer:\n  dense:\n    learning_rate: 0\n";
  EXPECT_EQ(parse_run_config(file, "config.yaml", {"optimizer.dense.learning_rate=0.1"})
                .dense_optimizer.learning_rate,
            0.1);
  EXPECT_NE(error_of(file).find("config.yaml:5: optimizer.dense.learning_rate = 0 is not > 0"),
            std::string::npos);
  EXPECT_NE(error_of("data:\n  path: d\n", {"model.dropout=0.1", "model.dropout=1"})
                .find("--set model.dropout=1: model.dropout = 1 is outside [0, 1)"),
            std::string::npos);
}

TEST(RunConfigRanges, RepeatedOverridesKeepTheLastLikeAnyCommandLine) {
  const auto config =
      parse_run_config("data:\n  path: d\n", "config.yaml", {"model.dim=8", "model.dim=12"});
  EXPECT_EQ(config.model.dim, 12);
}

}  // namespace
}  // namespace slatetrain
