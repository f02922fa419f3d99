// Checks of the FINN.no source values, block by block (docs/FORMAT.md
// "Checks"). Structural damage throws an Error naming the file, array, user row and step.
// The published anomalies, and the consistency rules whose violation is an anomaly, are counted
// by kind with a few examples each and kept exactly; under `strict` the first one throws.
// The same pass gathers what the manifest states about the data (stored steps, interactions,
// slate items, the slate-length histogram), so verify can recount it from the source.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "data/converter_source.hpp"
#include "data/manifest.hpp"

namespace slatetrain {

// Anomaly kinds (the keys of manifest.json "anomalies").
namespace anomaly {
// slate_lengths larger than the slate's slots (26 for 25: published, dataset issue #17).
inline constexpr const char* kSlateLengthOverSlots = "slate_length_over_slots";
// A real step whose click is not slate[click_idx] (e.g. click_idx 0 with a real item clicked).
inline constexpr const char* kClickNotInSlate = "click_not_in_slate";
// A slate holding the UNK id (2) within its width.
inline constexpr const char* kUnknownInSlate = "unknown_in_slate";
// A real step whose slate position 0 is not the no-click option (1).
inline constexpr const char* kNoClickNotFirst = "noclick_not_first";
// A real step whose slate_lengths (at most the slots) differs from its slate's width.
inline constexpr const char* kSlateLengthNotWidth = "slate_length_not_width";
// A step with click 0 (padding) but some other non-zero value; stored as it is.
inline constexpr const char* kPaddingStepNotEmpty = "padding_step_not_empty";
// A slate with a PAD id (0) before its last non-zero position.
inline constexpr const char* kPadInsideSlate = "pad_inside_slate";
// An item whose category is not a key of ind2val.json's "category" map.
inline constexpr const char* kCategoryNotInIndex = "category_not_in_ind2val";
}  // namespace anomaly

// How many examples of each anomaly kind are kept.
inline constexpr int kAnomalyExamplesPerKind = 5;

// One past the last non-zero slot of a slate row (0 for an all-zero row).
int slate_width(const int64_t* slate_row, int slots);
// Whether step t of `user` is stored: any of its values, or any slot of its slate, non-zero.
bool step_is_stored(const FinnSourceBlock& block, int64_t user, int t);

// What the data holds, as the manifest states it.
struct FinnStatistics {
  int64_t stored_steps = 0;
  int64_t interactions = 0;                           // stored steps with click != 0
  int64_t slate_items = 0;                            // sum of stored steps' slate widths
  std::array<int64_t, 256> slate_length_histogram{};  // stored steps by slate_lengths
  // The histogram up to its last non-zero bin.
  std::vector<int64_t> histogram_vector() const;
};

struct FinnCheckRules {
  int64_t num_items = 0;
  int max_steps = 20;
  int slate_slots = 25;
  std::array<bool, 256> interaction_type_known{};  // keys of ind2val "interaction_type"
  bool strict = false;
  std::string data_path;  // for messages
};

// Rules from the source's shapes and ind2val.json.
FinnCheckRules finn_check_rules(const FinnSource& source, bool strict);

class FinnChecker {
 public:
  explicit FinnChecker(FinnCheckRules rules);

  // Checks one block of users; throws on structural damage (or any anomaly under strict).
  void check(const FinnSourceBlock& block);
  // Counts items whose category is not a key of ind2val's "category" map.
  void check_categories(const std::vector<double>& category, const nlohmann::json& ind2val,
                        const std::string& item_attributes_path);

  const AnomalyReport& anomalies() const { return report_; }
  const FinnStatistics& statistics() const { return statistics_; }

 private:
  // Counts one anomaly (throws under strict); `example` describes it.
  void found(const char* kind, nlohmann::json example, const std::string& message);
  void check_step(const FinnSourceBlock& block, int64_t user, int t);

  FinnCheckRules rules_;
  AnomalyReport report_;
  std::map<std::string, int> examples_kept_;
  FinnStatistics statistics_;
};

}  // namespace slatetrain
