#include "data/finn_checks.hpp"

#include <cmath>

#include "core/error.hpp"
#include "data/finn_format.hpp"
#include "data/index_to_value.hpp"

namespace slatetrain {

int slate_width(const int64_t* slate_row, int slots) {
  int width = slots;
  while (width > 0 && slate_row[width - 1] == 0) --width;
  return width;
}

bool step_is_stored(const FinnSourceBlock& block, int64_t user, int t) {
  const int64_t step = block.step(user, t);
  if (block.click[step] != 0 || block.click_idx[step] != 0 || block.slate_lengths[step] != 0 ||
      block.interaction_type[step] != 0)
    return true;
  return slate_width(&block.slate[step * block.slate_slots], block.slate_slots) > 0;
}

std::vector<int64_t> FinnStatistics::histogram_vector() const {
  size_t end = slate_length_histogram.size();
  while (end > 0 && slate_length_histogram[end - 1] == 0) --end;
  return std::vector<int64_t>(slate_length_histogram.begin(),
                              slate_length_histogram.begin() + static_cast<ptrdiff_t>(end));
}

FinnCheckRules finn_check_rules(const FinnSource& source, bool strict) {
  FinnCheckRules rules;
  rules.num_items = source.num_items();
  rules.max_steps = source.max_steps();
  rules.slate_slots = source.slate_slots();
  rules.strict = strict;
  rules.data_path = source.data_path();
  rules.interaction_type_known =
      known_interaction_types(source.ind2val(), source.index_to_value_path());
  return rules;
}

FinnChecker::FinnChecker(FinnCheckRules rules) : rules_(std::move(rules)) {
  // Every kind appears in the report, with 0 when the data has none.
  for (const char* kind :
       {anomaly::kSlateLengthOverSlots, anomaly::kClickNotInSlate, anomaly::kUnknownInSlate,
        anomaly::kNoClickNotFirst, anomaly::kSlateLengthNotWidth, anomaly::kPaddingStepNotEmpty,
        anomaly::kPadInsideSlate, anomaly::kCategoryNotInIndex})
    report_.counts[kind] = 0;
}

void FinnChecker::found(const char* kind, nlohmann::json example, const std::string& message) {
  REQUIRE(!rules_.strict, message << " [anomaly " << kind << "; --strict makes anomalies errors]");
  ++report_.counts[kind];
  int& kept = examples_kept_[kind];
  if (kept < kAnomalyExamplesPerKind) {
    ++kept;
    example["kind"] = kind;
    report_.examples.push_back(std::move(example));
  }
}

void FinnChecker::check(const FinnSourceBlock& block) {
  for (int64_t user = 0; user < block.users; ++user) {
    for (int t = 0; t < block.max_steps; ++t) check_step(block, user, t);
  }
}

void FinnChecker::check_step(const FinnSourceBlock& block, int64_t user, int t) {
  const int slots = rules_.slate_slots;
  const int64_t step = block.step(user, t);
  const int64_t row = block.first_row + user;
  const int64_t click = block.click[step];
  const int64_t click_idx = block.click_idx[step];
  const int64_t slate_length = block.slate_lengths[step];
  const int64_t interaction_type = block.interaction_type[step];
  const int64_t* slate = &block.slate[step * slots];
  const std::string& file = rules_.data_path;

  // Structural: values that cannot be stored or that point outside the catalogue.
  REQUIRE(click >= 0 && click < rules_.num_items,
          file << ": array 'click' user row " << row << " step " << t << ": item id " << click
               << " outside [0, " << rules_.num_items << ") (num_items from itemattr.npz)");
  REQUIRE(click_idx >= 0 && click_idx < slots, file << ": array 'click_idx' user row " << row
                                                    << " step " << t << ": " << click_idx
                                                    << " outside [0, " << slots << ")");
  REQUIRE(slate_length >= 0 && slate_length <= 127, file << ": array 'slate_lengths' user row "
                                                         << row << " step " << t << ": "
                                                         << slate_length << " outside [0, 127]");
  REQUIRE(interaction_type >= 0 && interaction_type < 256 &&
              rules_.interaction_type_known[static_cast<size_t>(interaction_type)],
          file << ": array 'interaction_type' user row " << row << " step " << t << ": "
               << interaction_type << " is not a key of ind2val.json 'interaction_type'");
  int width = 0;
  bool has_unknown = false, has_pad = false;
  for (int j = 0; j < slots; ++j) {
    const int64_t item = slate[j];
    if (item == 0) continue;
    if (item < 0 || item >= rules_.num_items) {
      RAISE(file << ": array 'slate' user row " << row << " step " << t << " position " << j
                 << ": item id " << item << " outside [0, " << rules_.num_items
                 << ") (num_items from itemattr.npz)");
    }
    has_unknown = has_unknown || item == finn::kUnknownId;
    width = j + 1;
  }
  for (int j = 0; j < width; ++j) has_pad = has_pad || slate[j] == 0;

  const bool stored =
      click != 0 || click_idx != 0 || slate_length != 0 || interaction_type != 0 || width > 0;
  if (!stored) return;
  ++statistics_.stored_steps;
  statistics_.slate_items += width;
  ++statistics_.slate_length_histogram[static_cast<size_t>(slate_length)];
  if (click != 0) ++statistics_.interactions;

  auto where = [&] {
    return file + ": user row " + std::to_string(row) + " step " + std::to_string(t) + ": ";
  };
  auto example = [&] {
    return nlohmann::json{
        {"row", row},     {"user_id", block.user_id[user]}, {"t", t},
        {"click", click}, {"click_idx", click_idx},         {"slate_length", slate_length},
        {"width", width}};
  };
  if (slate_length > slots) {
    found(anomaly::kSlateLengthOverSlots, example(),
          where() + "slate_lengths " + std::to_string(slate_length) + " > " +
              std::to_string(slots) + " slots");
  }
  if (has_unknown) {
    found(anomaly::kUnknownInSlate, example(), where() + "slate holds the UNK id 2");
  }
  if (has_pad) {
    found(anomaly::kPadInsideSlate, example(), where() + "slate holds PAD (0) inside its width");
  }
  if (click == 0) {
    found(anomaly::kPaddingStepNotEmpty, example(),
          where() + "click is 0 (padding) but the step has other non-zero values");
    return;
  }
  if (slate[click_idx] != click) {
    nlohmann::json details = example();
    details["slate_at_click_idx"] = slate[click_idx];
    found(anomaly::kClickNotInSlate, details,
          where() + "click " + std::to_string(click) + " != slate[click_idx " +
              std::to_string(click_idx) + "] = " + std::to_string(slate[click_idx]));
  }
  if (slate[0] != finn::kNoClickId) {
    found(anomaly::kNoClickNotFirst, example(),
          where() + "slate position 0 is " + std::to_string(slate[0]) + ", not the no-click id 1");
  }
  if (slate_length <= slots && slate_length != width) {
    found(anomaly::kSlateLengthNotWidth, example(),
          where() + "slate_lengths " + std::to_string(slate_length) + " but the slate is " +
              std::to_string(width) + " wide");
  }
}

void FinnChecker::check_categories(const std::vector<double>& category,
                                   const nlohmann::json& ind2val,
                                   const std::string& item_attributes_path) {
  for (size_t item = 0; item < category.size(); ++item) {
    const double value = category[item];
    if (category_is_known(ind2val, value)) continue;
    found(anomaly::kCategoryNotInIndex, {{"item", item}, {"category", value}},
          item_attributes_path + ": item " + std::to_string(item) + " has category " +
              std::to_string(value) + ", not a key of ind2val.json 'category'");
  }
}

}  // namespace slatetrain
