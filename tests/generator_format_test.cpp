// The generator writes exactly the published FINN.no format: array names, shapes and dtypes,
// deflated or stored members, the id conventions of every real and padded step, the planted
// anomalies (counted in generator.json and the report), itemattr.npz and ind2val.json.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <sstream>

#include "data/npz_reader.hpp"
#include "tests/generator_test_support.hpp"

namespace slatetrain {
namespace {

const std::vector<std::string> kDataArrays = {"userId",        "click", "click_idx",
                                              "slate_lengths", "slate", "interaction_type"};

std::vector<int64_t> expected_shape(const std::string& name, int64_t users) {
  if (name == "userId") return {users};
  if (name == "slate") return {users, kSteps, kSlots};
  return {users, kSteps};
}

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string text = "(";
  for (int64_t extent : shape) text += std::to_string(extent) + ",";
  return text + ")";
}

// Names, shapes, dtype and member compression of data.npz and itemattr.npz.
void expect_layout(const GeneratedDataset& dataset, NpyDtype int_dtype, bool compressed) {
  const NpzArchive data((dataset.directory / "data.npz").string());
  std::vector<std::string> names = data.array_names();
  std::sort(names.begin(), names.end());
  std::vector<std::string> expected_names = kDataArrays;
  std::sort(expected_names.begin(), expected_names.end());
  EXPECT_EQ(names, expected_names);
  for (const std::string& name : kDataArrays) {
    ASSERT_TRUE(data.has_array(name)) << name;
    const NpyArrayInfo info = data.info(name);
    EXPECT_EQ(shape_text(info.shape), shape_text(expected_shape(name, dataset.options.num_users)))
        << name;
    EXPECT_EQ(npy_dtype_name(info.dtype), std::string(npy_dtype_name(int_dtype))) << name;
    EXPECT_EQ(data.compressed(name), compressed) << name;
  }
  const NpzArchive items((dataset.directory / "itemattr.npz").string());
  EXPECT_EQ(items.array_names(), std::vector<std::string>{"category"});
  const NpyArrayInfo category = items.info("category");
  EXPECT_EQ(shape_text(category.shape), shape_text({dataset.options.num_items}));
  EXPECT_EQ(npy_dtype_name(category.dtype), std::string("float64"));
  EXPECT_EQ(items.compressed("category"), compressed);
}

TEST(GeneratorFormat, DefaultIsInt32AndDeflated) {
  const GeneratedDataset dataset(small_options(300, 900), "default-format");
  expect_layout(dataset, NpyDtype::kInt32, /*compressed=*/true);
  for (const char* file :
       {"data.npz", "itemattr.npz", "ind2val.json", "truth.json", "generator.json"})
    EXPECT_TRUE(fs::is_regular_file(dataset.directory / file)) << file;
  const nlohmann::json generator = read_json(dataset.directory / "generator.json");
  EXPECT_EQ(generator["int_dtype"], "int32");
  EXPECT_EQ(generator["compressed"], true);
  // Nothing else is left in the output (no spool files) and nothing beside it.
  int64_t entries = std::distance(fs::directory_iterator(dataset.directory), {});
  EXPECT_EQ(entries, 5);
  entries = std::distance(fs::directory_iterator(dataset.scratch.path()), {});
  EXPECT_EQ(entries, 1) << "temporary directories left beside the output";
}

TEST(GeneratorFormat, Int64AndStoredChangeOnlyTheEncoding) {
  GeneratorOptions options = small_options(300, 900);
  const GeneratedDataset narrow(options, "narrow");
  options.int64 = true;
  options.compress = false;
  const GeneratedDataset wide(options, "wide-stored");
  expect_layout(wide, NpyDtype::kInt64, /*compressed=*/false);
  const nlohmann::json generator = read_json(wide.directory / "generator.json");
  EXPECT_EQ(generator["int_dtype"], "int64");
  EXPECT_EQ(generator["compressed"], false);

  const FinnArrays a = read_finn_arrays(narrow.directory);
  const FinnArrays b = read_finn_arrays(wide.directory);
  EXPECT_EQ(a.user_id, b.user_id);
  EXPECT_EQ(a.click, b.click);
  EXPECT_EQ(a.click_idx, b.click_idx);
  EXPECT_EQ(a.slate_lengths, b.slate_lengths);
  EXPECT_EQ(a.interaction_type, b.interaction_type);
  EXPECT_EQ(a.slate, b.slate);
  EXPECT_EQ(read_categories(narrow.directory), read_categories(wide.directory));
  EXPECT_EQ(read_bytes(narrow.directory / "ind2val.json"),
            read_bytes(wide.directory / "ind2val.json"));
  EXPECT_EQ(read_bytes(narrow.directory / "truth.json"), read_bytes(wide.directory / "truth.json"));
  // The stored file holds the raw values: it is larger than the deflated one.
  EXPECT_GT(fs::file_size(wide.directory / "data.npz"),
            2 * fs::file_size(narrow.directory / "data.npz"));
}

// Anomalies found in the data, by the published kinds.
struct FoundAnomalies {
  int64_t slate_length_over_slots = 0, click_not_in_slate = 0, unknown_in_slate = 0;
};

// Checks every row's conventions; returns the first violation (empty if none) and counts.
std::string check_conventions(const FinnArrays& a, int64_t num_items, FoundAnomalies& found,
                              int64_t& real_steps) {
  std::ostringstream bad;
  for (int64_t u = 0; u < a.users; ++u) {
    if (a.user_id[u] != u) return "userId[" + std::to_string(u) + "] is not the row";
    const int steps = real_step_count(a, u);
    for (int t = 0; t < kSteps; ++t) {
      const int64_t step = a.step(u, t);
      const int64_t* slate = a.slate_row(u, t);
      bad << "user " << u << " step " << t << ": ";
      if (t >= steps) {  // padding: every array zero
        if (a.click[step] != 0 || a.click_idx[step] != 0 || a.slate_lengths[step] != 0 ||
            a.interaction_type[step] != 0)
          return bad.str() + "padded step (after a click == 0) is not all zero";
        for (int j = 0; j < kSlots; ++j)
          if (slate[j] != 0) return bad.str() + "padded slate not zero at " + std::to_string(j);
        bad.str("");
        continue;
      }
      ++real_steps;
      const int64_t length = a.slate_lengths[step];
      if (length == kSlots + 1) {
        ++found.slate_length_over_slots;
      } else if (length < 2 || length > kSlots) {
        return bad.str() + "slate_lengths " + std::to_string(length);
      }
      const int64_t width = std::min<int64_t>(length, kSlots);
      if (slate[0] != 1) return bad.str() + "slate[0] is " + std::to_string(slate[0]) + ", not 1";
      int unknown = 0;
      for (int j = 1; j < kSlots; ++j) {
        const bool inside = j < width;
        if (!inside && slate[j] != 0) return bad.str() + "slot past the length not 0";
        if (inside && (slate[j] < 2 || slate[j] >= num_items))
          return bad.str() + "slate[" + std::to_string(j) + "] = " + std::to_string(slate[j]);
        unknown += slate[j] == 2;
      }
      if (unknown > 1) return bad.str() + "more than one UNK in a slate";
      found.unknown_in_slate += unknown;
      const int64_t type = a.interaction_type[step];
      if (type != 1 && type != 2) return bad.str() + "interaction_type " + std::to_string(type);
      const int64_t position = a.click_idx[step];
      if (position < 0 || position >= width) return bad.str() + "click_idx out of the slate";
      if (click_outside_slate(a, u, t)) {
        // The published anomaly: a real item clicked with click_idx 0.
        if (position != 0 || a.click[step] < 3 || a.click[step] >= num_items)
          return bad.str() + "click " + std::to_string(a.click[step]) + " not at slate[" +
                 std::to_string(position) + "] and not the planted anomaly";
        ++found.click_not_in_slate;
      } else if ((a.click[step] == 1) != (position == 0) || a.click[step] == 2) {
        return bad.str() + "click " + std::to_string(a.click[step]) + " at position " +
               std::to_string(position);
      }
      bad.str("");
    }
  }
  return "";
}

TEST(GeneratorFormat, IdConventionsHoldExceptThePlantedAnomalies) {
  GeneratorOptions options = small_options(500, 900);
  options.anomaly_rate = 0.01;
  const GeneratedDataset dataset(options, "conventions");
  const FinnArrays a = read_finn_arrays(dataset.directory);
  FoundAnomalies found;
  int64_t real_steps = 0;
  const std::string violation = check_conventions(a, options.num_items, found, real_steps);
  EXPECT_EQ(violation, "");

  // ~8000 real steps at rate 0.01: every kind is planted, and counted exactly.
  const nlohmann::json generator = read_json(dataset.directory / "generator.json");
  const nlohmann::json& counted = generator["anomalies"];
  EXPECT_GT(found.slate_length_over_slots, 20);
  EXPECT_GT(found.click_not_in_slate, 20);
  EXPECT_GT(found.unknown_in_slate, 20);
  EXPECT_EQ(found.slate_length_over_slots, counted["slate_length_over_slots"].get<int64_t>());
  EXPECT_EQ(found.click_not_in_slate, counted["click_not_in_slate"].get<int64_t>());
  EXPECT_EQ(found.unknown_in_slate, counted["unknown_in_slate"].get<int64_t>());
  EXPECT_EQ(found.slate_length_over_slots, dataset.report.anomalies.slate_length_over_slots);
  EXPECT_EQ(found.click_not_in_slate, dataset.report.anomalies.click_not_in_slate);
  EXPECT_EQ(found.unknown_in_slate, dataset.report.anomalies.unknown_in_slate);
  EXPECT_EQ(real_steps, generator["real_steps"].get<int64_t>());
  EXPECT_EQ(real_steps, dataset.report.real_steps);
  EXPECT_EQ(dataset.report.users, options.num_users);
}

TEST(GeneratorFormat, ZeroAnomalyRatePlantsNone) {
  GeneratorOptions options = small_options(300, 900);
  options.anomaly_rate = 0;
  const GeneratedDataset dataset(options, "no-anomalies");
  const FinnArrays a = read_finn_arrays(dataset.directory);
  FoundAnomalies found;
  int64_t real_steps = 0;
  EXPECT_EQ(check_conventions(a, options.num_items, found, real_steps), "");
  EXPECT_EQ(found.slate_length_over_slots + found.click_not_in_slate + found.unknown_in_slate, 0);
  EXPECT_GT(real_steps, 0);
}

TEST(GeneratorFormat, ItemCategoriesAreGroupsWithSpecialIdsFirst) {
  GeneratorOptions options = small_options(200, 1003);
  const GeneratedDataset dataset(options, "itemattr");
  const int groups = generator_group_count(options);
  EXPECT_EQ(groups, 20);  // 1000 real items, >= 50 per group
  EXPECT_EQ(read_json(dataset.directory / "generator.json")["groups"].get<int>(), groups);
  const std::vector<double> category = read_categories(dataset.directory);
  ASSERT_EQ(static_cast<int64_t>(category.size()), options.num_items);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(category[i], double(i)) << "id " << i;
  std::vector<int64_t> group_sizes(groups, 0);
  for (int64_t i = 3; i < options.num_items; ++i) {
    const double value = category[i];
    ASSERT_TRUE(value == std::floor(value) && value >= 3 && value < 3 + groups)
        << "first bad item " << i << ": category " << value;
    ++group_sizes[static_cast<size_t>(value) - 3];
  }
  for (int k = 0; k < groups; ++k) EXPECT_GT(group_sizes[k], 0) << "group " << k << " is empty";
  // The groups' sizes differ (drawn, not round-robin).
  EXPECT_GT(*std::max_element(group_sizes.begin(), group_sizes.end()),
            2 * *std::min_element(group_sizes.begin(), group_sizes.end()));

  const nlohmann::json ind2val = read_json(dataset.directory / "ind2val.json");
  ASSERT_TRUE(ind2val.is_object());
  EXPECT_EQ(ind2val.size(), 2u);
  const nlohmann::json interaction = {{"0", "<UNK>"}, {"1", "search"}, {"2", "rec"}};
  EXPECT_EQ(ind2val["interaction_type"], interaction);
  const nlohmann::json& names = ind2val["category"];
  ASSERT_TRUE(names.is_object());
  EXPECT_EQ(names.size(), size_t(3 + groups));
  EXPECT_EQ(names["0"], "PAD");
  EXPECT_EQ(names["1"], "noClick");
  EXPECT_EQ(names["2"], "<UNK>");
  std::set<std::string> distinct;
  for (int value = 3; value < 3 + groups; ++value) {
    const std::string key = std::to_string(value);
    ASSERT_TRUE(names.contains(key)) << "category " << key << " has no name";
    const std::string name = names[key].get<std::string>();
    // "vertical,subcategory,region" as published.
    EXPECT_EQ(std::count(name.begin(), name.end(), ','), 2) << key << ": " << name;
    distinct.insert(name);
  }
  EXPECT_EQ(distinct.size(), size_t(groups)) << "group names are not unique";
}

TEST(GeneratorFormat, GroupNamesStayUniqueAtFullGroupCount) {
  GeneratorOptions options = small_options(50, 3 + 290 * 2);
  options.num_groups = 290;
  options.write_truth = false;
  const GeneratedDataset dataset(options, "full-groups");
  const nlohmann::json names = read_json(dataset.directory / "ind2val.json")["category"];
  std::set<std::string> distinct;
  for (const auto& entry : names.items()) distinct.insert(entry.value().get<std::string>());
  EXPECT_EQ(distinct.size(), size_t(3 + 290));
  EXPECT_FALSE(fs::exists(dataset.directory / "truth.json"));
}

}  // namespace
}  // namespace slatetrain
