// The run configuration: defaults, overrides, and errors that name the key and the line.
#include <gtest/gtest.h>

#include "core/error.hpp"
#include "launch/run_config.hpp"

namespace slatetrain {
namespace {

std::string error_of(const std::string& yaml, const std::vector<std::string>& overrides = {}) {
  try {
    parse_run_config(yaml, "test.yaml", overrides);
  } catch (const Error& error) {
    return error.what();
  }
  return "";
}

TEST(RunConfig, ReadsValuesAndKeepsDefaults) {
  const auto config = parse_run_config(
      "data:\n  path: out/data\nmodel:\n  dim: 48\nschedule:\n  batch_users: 128\n"
      "evaluation:\n  k: [20, 5]\n  metric: ndcg@5\n",
      "test.yaml", {});
  EXPECT_EQ(config.data.path, "out/data");
  EXPECT_EQ(config.model.dim, 48);
  EXPECT_EQ(config.schedule.batch_users, 128);
  EXPECT_EQ(config.evaluation.k, (std::vector<int>{5, 20}));
  EXPECT_EQ(config.objective.kind, "slate");  // default
  EXPECT_NE(config.yaml.find("dim: 48"), std::string::npos) << config.yaml;
}

TEST(RunConfig, OverridesWin) {
  const auto config =
      parse_run_config("data:\n  path: a\nmodel:\n  dim: 8\n", "test.yaml",
                       {"model.dim=16", "run.seed=7", "objective.kind=sampled_softmax"});
  EXPECT_EQ(config.model.dim, 16);
  EXPECT_EQ(config.run.seed, 7u);
  EXPECT_EQ(config.objective.kind, "sampled_softmax");
}

TEST(RunConfig, UnknownKeyNamesKeyLineAndSuggestion) {
  const auto message = error_of("data:\n  path: a\noptimizer:\n  dense:\n    lerning_rate: 0.1\n");
  EXPECT_NE(message.find("test.yaml:5"), std::string::npos) << message;
  EXPECT_NE(message.find("optimizer.dense.lerning_rate"), std::string::npos) << message;
  EXPECT_NE(message.find("optimizer.dense.learning_rate"), std::string::npos) << message;
}

TEST(RunConfig, BadValuesAreErrors) {
  EXPECT_NE(error_of("data:\n  path: a\nmodel:\n  dim: -3\n").find("test.yaml:4"),
            std::string::npos);
  EXPECT_NE(error_of("data:\n  path: a\nmodel:\n  dim: many\n").find("'model.dim'"),
            std::string::npos);
  EXPECT_NE(error_of("data:\n  path: a\nobjective:\n  kind: hinge\n").find("not one of"),
            std::string::npos);
  // The section of earlier versions is named with its new name.
  EXPECT_NE(error_of("data:\n  path: a\nloss:\n  kind: slate\n").find("now 'objective'"),
            std::string::npos);
  EXPECT_NE(error_of("data:\n  path: a\nevaluation:\n  metric: hitrate@50\n").find("50"),
            std::string::npos);
  EXPECT_NE(error_of("model:\n  dim: 4\n").find("data.path"), std::string::npos);
  EXPECT_NE(error_of("data: [1, 2]\n").find("section"), std::string::npos);
  EXPECT_NE(error_of("data:\n  path: a\n", {"model.dimm=3"}).find("did you mean 'model.dim'"),
            std::string::npos);
  EXPECT_NE(error_of("data:\n  path: a\n  oops: [\n").find("not valid YAML"), std::string::npos);
}

TEST(RunConfig, EffectiveYamlParsesBackToTheSameConfig) {
  const auto first = parse_run_config("data:\n  path: x\n", "test.yaml", {"model.dim=12"});
  const auto second = parse_run_config(first.yaml, "effective", {});
  EXPECT_EQ(second.model.dim, 12);
  EXPECT_EQ(second.yaml, first.yaml);
}

TEST(RunConfig, DescribesEveryKey) {
  const auto text = describe_run_config_keys();
  EXPECT_NE(text.find("schedule.batch_users"), std::string::npos);
  EXPECT_NE(text.find("optimizer.embedding.kind"), std::string::npos);
}

}  // namespace
}  // namespace slatetrain
