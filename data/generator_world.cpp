#include "data/generator_world.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"

namespace slatetrain {

namespace {

constexpr double kItemNoise = 0.6;
constexpr double kPopularitySpread = 1.6;

constexpr const char* kVerticals[] = {"BAP", "REAL_ESTATE", "MOTOR", "JOB", "TRAVEL", "BOAT"};
constexpr const char* kSubcategories[] = {"antiques", "furniture", "electronics", "clothes",
                                          "sports",   "garden",    "animals",     "books",
                                          "vehicles", "holiday"};
constexpr const char* kRegions[] = {"Oslo",
                                    "Viken",
                                    "Vestland",
                                    "Rogaland",
                                    "Tr\xc3\xb8ndelag",
                                    "Innlandet",
                                    "Agder",
                                    "Nordland",
                                    "Troms og Finnmark",
                                    "M\xc3\xb8re og Romsdal",
                                    "Vestfold og Telemark"};

template <typename T, size_t N>
constexpr size_t count_of(const T (&)[N]) {
  return N;
}

void fill_normal(Random& random, float* out, double scale) {
  for (int d = 0; d < kTasteDimension; ++d) out[d] = static_cast<float>(random.normal() * scale);
}

}  // namespace

void normalize_taste(float* vector) {
  double norm = 0;
  for (int d = 0; d < kTasteDimension; ++d) norm += double(vector[d]) * vector[d];
  if (norm <= 0) return;
  const float inverse = static_cast<float>(1.0 / std::sqrt(norm));
  for (int d = 0; d < kTasteDimension; ++d) vector[d] *= inverse;
}

int generator_group_count(const GeneratorOptions& options) {
  if (options.num_groups > 0) return options.num_groups;
  const int64_t real_items = options.num_items - 3;
  const int64_t by_size = real_items / 50;  // at least 50 items per group
  return static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(kFullFinnGroups, by_size)));
}

void check_generator_options(const GeneratorOptions& options) {
  // Every array is produced as int32 (widened for --int64), userId included.
  REQUIRE(options.num_users >= 1 && options.num_users <= (int64_t(1) << 31) - 1,
          "--users must be in 1..2^31-1 (got " << options.num_users << ")");
  REQUIRE(options.num_groups >= 0,
          "--groups must be positive, or 0 for the default (got " << options.num_groups << ")");
  REQUIRE(options.num_items >= 4 && options.num_items <= (int64_t(1) << 31) - 1,
          "--items must be in 4..2^31-1 (ids 0-2 are PAD, noClick, UNK; got " << options.num_items
                                                                              << ")");
  const int groups = generator_group_count(options);
  REQUIRE(groups >= 1 && groups <= options.num_items - 3,
          "--groups must be in 1..items-3 (got " << groups << ")");
  REQUIRE(options.anomaly_rate >= 0 && options.anomaly_rate <= 0.5,
          "--anomaly-rate must be in [0, 0.5] (got " << options.anomaly_rate << ")");
  REQUIRE(options.threads >= 1 && options.threads <= 256,
          "--threads must be in 1..256 (got " << options.threads << ")");
  REQUIRE(options.deflate_level >= 0 && options.deflate_level <= 9,
          "--level must be in 0..9 (got " << options.deflate_level << ")");
  REQUIRE(options.users_per_block >= 1, "users per block must be positive");
  REQUIRE(options.truth_users >= 0, "--truth-users must be non-negative");
  REQUIRE(options.oracle_rollouts >= 2 && options.oracle_rollouts <= 1000000000,
          "--oracle-rollouts must be in 2..10^9 (got " << options.oracle_rollouts << ")");
  valid_user_count(options.num_users, options.split);  // throws on bad split parameters
}

GeneratorWorld::GeneratorWorld(const GeneratorOptions& options)
    : num_items_(options.num_items), num_groups_(generator_group_count(options)) {
  check_generator_options(options);
  const int D = kTasteDimension;
  // Groups: unit vectors and a share of the catalogue (some groups much larger than others).
  group_vectors_.resize(size_t(num_groups_) * D);
  std::vector<double> group_sizes(num_groups_);
  for (int k = 0; k < num_groups_; ++k) {
    Random random(hash_mix(options.seed, uint64_t(GeneratorStream::kGroup), uint64_t(k)));
    fill_normal(random, &group_vectors_[size_t(k) * D], 1.0);
    normalize_taste(&group_vectors_[size_t(k) * D]);
    group_sizes[k] = std::exp(0.8 * random.normal());
  }
  const AliasTable group_size_table(group_sizes);

  // Items: group, vector near the group's, popularity. The first items seed every group.
  item_vectors_.assign(size_t(num_items_) * D, 0.0f);
  item_groups_.assign(size_t(num_items_), -1);
  log_popularity_.assign(size_t(num_items_), 0.0f);
  std::vector<double> popularity(size_t(num_items_ - 3));
  std::vector<int64_t> group_counts(num_groups_, 0);
  for (int64_t item = 3; item < num_items_; ++item) {
    Random random(hash_mix(options.seed, uint64_t(GeneratorStream::kItem), uint64_t(item)));
    const int group = item - 3 < num_groups_ ? int(item - 3) : int(group_size_table.draw(random));
    item_groups_[item] = group;
    ++group_counts[group];
    float* vector = &item_vectors_[size_t(item) * D];
    fill_normal(random, vector, kItemNoise / std::sqrt(double(D)));
    for (int d = 0; d < D; ++d) vector[d] += group_vectors_[size_t(group) * D + d];
    normalize_taste(vector);
    const double log_weight = kPopularitySpread * random.normal();
    log_popularity_[item] = static_cast<float>(log_weight);
    popularity[item - 3] = std::exp(log_weight);
  }
  popular_table_ = AliasTable(popularity);

  // Items by group, and each group's popularity table.
  group_offsets_.assign(num_groups_ + 1, 0);
  for (int k = 0; k < num_groups_; ++k) group_offsets_[k + 1] = group_offsets_[k] + group_counts[k];
  group_items_.resize(size_t(num_items_ - 3));
  std::vector<int64_t> cursor(group_offsets_.begin(), group_offsets_.end() - 1);
  for (int64_t item = 3; item < num_items_; ++item)
    group_items_[cursor[item_groups_[item]]++] = item;
  std::vector<double> group_popularity(num_groups_, 0.0);
  group_tables_.resize(num_groups_);
  for (int k = 0; k < num_groups_; ++k) {
    std::vector<double> weights;
    weights.reserve(size_t(group_counts[k]));
    for (int64_t i = group_offsets_[k]; i < group_offsets_[k + 1]; ++i) {
      weights.push_back(popularity[group_items_[i] - 3]);
      group_popularity[k] += weights.back();
    }
    group_tables_[k] = AliasTable(weights);
  }
  group_table_ = AliasTable(group_popularity);
}

std::string GeneratorWorld::group_name(int group) const {
  const size_t v = count_of(kVerticals), s = count_of(kSubcategories), r = count_of(kRegions);
  const size_t g = static_cast<size_t>(group);
  std::string name = std::string(kVerticals[g % v]) + "," + kSubcategories[(g / v) % s] + "," +
                     kRegions[(g / (v * s)) % r];
  if (g >= v * s * r) name += " " + std::to_string(g / (v * s * r));  // keep names unique
  return name;
}

std::vector<double> GeneratorWorld::popular_item_draw_distribution() const {
  const std::vector<double> table = popular_table_.distribution();
  std::vector<double> out(size_t(num_items_), 0.0);
  std::copy(table.begin(), table.end(), out.begin() + 3);
  return out;
}

std::vector<double> GeneratorWorld::group_item_draw_distribution(int group) const {
  const std::vector<double> table = group_tables_[group].distribution();
  std::vector<double> out(size_t(num_items_), 0.0);
  for (size_t i = 0; i < table.size(); ++i)
    out[size_t(group_items_[group_offsets_[group] + int64_t(i)])] = table[i];
  return out;
}

double GeneratorWorld::utility(const float* taste, int64_t item) const {
  const float* vector = item_vector(item);
  float dot = 0;
  for (int d = 0; d < kTasteDimension; ++d) dot += taste[d] * vector[d];
  return choice_.scale * dot + choice_.popularity_weight * log_popularity_[item];
}

}  // namespace slatetrain
