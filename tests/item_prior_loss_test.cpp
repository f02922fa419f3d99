// The item prior's loss and gradients (dist/item_prior.hpp) against central finite differences
// and against PyTorch autograd (tests/fixtures/make_item_prior_fixture.py), and its closed-form
// MAP group state against the one PyTorch's L-BFGS finds.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <vector>

#include "dist/item_prior.hpp"

namespace slatetrain {
namespace {

using nlohmann::json;

json load_fixture() {
  const std::string path = std::string(SLATETRAIN_TEST_DATA) + "/item_prior/loss.json";
  std::ifstream file(path);
  if (!file) throw std::runtime_error("cannot open fixture " + path);
  return json::parse(file);
}

struct PriorCase {
  int64_t dim = 0, group_count = 0;
  float weight = 0;
  std::vector<float> rows, group_vectors, group_scales;
  std::vector<int32_t> groups;
  int64_t count() const { return static_cast<int64_t>(groups.size()); }
  double loss() const {
    return item_prior_loss(rows.data(), groups.data(), count(), dim, group_vectors.data(),
                           group_scales.data(), group_count, weight, nullptr, nullptr, nullptr);
  }
};

PriorCase fixture_case(const json& fixture) {
  PriorCase c;
  c.dim = fixture.at("dim");
  c.group_count = fixture.at("groups_count");
  c.weight = fixture.at("weight");
  c.rows = fixture.at("rows").get<std::vector<float>>();
  c.groups = fixture.at("groups").get<std::vector<int32_t>>();
  c.group_vectors = fixture.at("group_vectors").get<std::vector<float>>();
  c.group_scales = fixture.at("group_scales").get<std::vector<float>>();
  return c;
}

void expect_near_all(const std::vector<float>& actual, const std::vector<double>& expected,
                     double tolerance, const char* what) {
  ASSERT_EQ(actual.size(), expected.size()) << what;
  for (size_t i = 0; i < actual.size(); ++i)
    EXPECT_NEAR(actual[i], expected[i], tolerance * (1.0 + std::fabs(expected[i])))
        << what << "[" << i << "]";
}

TEST(ItemPriorLoss, MatchesPyTorchAutograd) {
  const json fixture = load_fixture();
  PriorCase c = fixture_case(fixture);
  std::vector<float> row_gradients(c.rows.size()), vector_gradients(c.group_vectors.size()),
      scale_gradients(c.group_scales.size());
  const double loss =
      item_prior_loss(c.rows.data(), c.groups.data(), c.count(), c.dim, c.group_vectors.data(),
                      c.group_scales.data(), c.group_count, c.weight, row_gradients.data(),
                      vector_gradients.data(), scale_gradients.data());
  EXPECT_NEAR(loss, fixture.at("loss").get<double>(), 1e-5 * std::fabs(loss));
  expect_near_all(row_gradients, fixture.at("row_gradients").get<std::vector<double>>(), 1e-5,
                  "row gradients");
  expect_near_all(vector_gradients, fixture.at("group_vector_gradients").get<std::vector<double>>(),
                  1e-5, "group vector gradients");
  expect_near_all(scale_gradients, fixture.at("group_scale_gradients").get<std::vector<double>>(),
                  1e-5, "group scale gradients");
}

TEST(ItemPriorLoss, GradientsMatchFiniteDifferences) {
  PriorCase c = fixture_case(load_fixture());
  std::vector<float> row_gradients(c.rows.size()), vector_gradients(c.group_vectors.size()),
      scale_gradients(c.group_scales.size());
  item_prior_loss(c.rows.data(), c.groups.data(), c.count(), c.dim, c.group_vectors.data(),
                  c.group_scales.data(), c.group_count, c.weight, row_gradients.data(),
                  vector_gradients.data(), scale_gradients.data());
  // Central differences on every input; float inputs, double loss: a step of 1e-3 leaves the
  // truncation error (O(h^2)) and the rounding of the input (1e-7 / h) well below 1e-3.
  const auto check = [&](std::vector<float>& values, const std::vector<float>& analytic,
                         const char* what) {
    for (size_t i = 0; i < values.size(); ++i) {
      const float saved = values[i];
      const float h = 1e-3f;
      values[i] = saved + h;
      const double plus = c.loss();
      values[i] = saved - h;
      const double minus = c.loss();
      values[i] = saved;
      const double numeric = (plus - minus) / (double(saved + h) - double(saved - h));
      EXPECT_NEAR(analytic[i], numeric, 1e-3 * (1.0 + std::fabs(numeric)))
          << what << "[" << i << "]";
    }
  };
  check(c.rows, row_gradients, "rows");
  check(c.group_vectors, vector_gradients, "group vectors");
  check(c.group_scales, scale_gradients, "group scales");
}

TEST(ItemPriorLoss, AGroupOutsideTheTableIsRefused) {
  PriorCase c = fixture_case(load_fixture());
  c.groups[2] = static_cast<int32_t>(c.group_count);
  EXPECT_THROW(c.loss(), std::exception);
}

TEST(ItemPriorLoss, KindsParseAndUnknownIsRefused) {
  EXPECT_EQ(parse_item_prior_kind("none"), ItemPriorKind::kNone);
  EXPECT_EQ(parse_item_prior_kind("global"), ItemPriorKind::kGlobal);
  EXPECT_EQ(parse_item_prior_kind("group"), ItemPriorKind::kGroup);
  EXPECT_THROW(parse_item_prior_kind("groups"), std::exception);
  EXPECT_STREQ(item_prior_name(ItemPriorKind::kGroup), "group");
}

}  // namespace
}  // namespace slatetrain
