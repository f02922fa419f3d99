// The item side of the planted ground truth: item groups with group vectors, items near their
// group's vector, a Zipf-like (log-normal) popularity, and the constants of the choice model.
//
// The planted model (docs/GENERATOR.md):
//   group vector g_k: a random unit vector in R^16; item i of group k: e_i = normalize(g_k +
//   0.6 n_i), n_i ~ N(0, I/16); popularity weight w_i = exp(1.6 z_i), z_i ~ N(0, 1).
//   Utility of item i for a user with taste u: scale * u.e_i + popularity_weight * log w_i.
//   A slate's click is drawn from softmax over its items' utilities plus the no-click score.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/random.hpp"
#include "core/alias_table.hpp"
#include "data/generator_options.hpp"

namespace slatetrain {

inline constexpr int kTasteDimension = 16;

// The choice model's constants, fixed so that the published statistics come out.
struct ChoiceModel {
  double scale = 4.0;              // utility per unit of taste alignment
  double popularity_weight = 0.3;  // utility per unit of log popularity
  double no_click_score = 3.7;     // the no-click option's utility
  double taste_step = 0.3;         // u <- normalize((1 - a) u + a e_click)
};

// Counter streams of hash_mix, one per kind of draw, so that draws never collide.
// The oracle's (data/oracle_evaluation.hpp) are its own: its rollouts never touch the data's.
enum class GeneratorStream : uint64_t {
  kGroup = 11,
  kItem = 12,
  kUser = 13,
  kOracleRollout = 14,
  kOracleBootstrap = 15
};

class GeneratorWorld {
 public:
  // Builds every item's group, vector and popularity from the options' seed.
  explicit GeneratorWorld(const GeneratorOptions& options);

  int64_t num_items() const { return num_items_; }
  int num_groups() const { return num_groups_; }
  const ChoiceModel& choice() const { return choice_; }

  // shapes: kTasteDimension floats each.
  const float* item_vector(int64_t item) const { return &item_vectors_[item * kTasteDimension]; }
  const float* group_vector(int group) const { return &group_vectors_[group * kTasteDimension]; }
  int item_group(int64_t item) const { return item_groups_[item]; }
  float item_log_popularity(int64_t item) const { return log_popularity_[item]; }
  // The category value itemattr.npz stores: 0, 1, 2 for the special ids, 3 + group otherwise.
  double item_category(int64_t item) const {
    return item < 3 ? double(item) : 3.0 + item_groups_[item];
  }
  // "BAP,antiques,Trøndelag"-style names of a group.
  std::string group_name(int group) const;

  // Draws: a group by its share of the catalogue's popularity, an item by popularity over the
  // whole catalogue or within a group.
  int draw_group(Random& random) const { return static_cast<int>(group_table_.draw(random)); }
  int64_t draw_popular_item(Random& random) const { return 3 + popular_table_.draw(random); }
  int64_t draw_item_in_group(int group, Random& random) const {
    return group_items_[group_offsets_[group] + group_tables_[group].draw(random)];
  }

  // The exact distributions of the three draws above (docs/GENERATOR.md), for exact
  // computations: over groups [groups]; over item ids [items] (zero for ids 0-2 and, within a
  // group, for the other groups' items).
  std::vector<double> group_draw_distribution() const { return group_table_.distribution(); }
  std::vector<double> popular_item_draw_distribution() const;
  std::vector<double> group_item_draw_distribution(int group) const;

  // The utility of an item for a taste vector.
  double utility(const float* taste, int64_t item) const;

 private:
  int64_t num_items_;
  int num_groups_;
  ChoiceModel choice_;
  std::vector<float> group_vectors_;    // [groups, D]
  std::vector<float> item_vectors_;     // [items, D], zero for ids 0-2
  std::vector<int32_t> item_groups_;    // [items], -1 for ids 0-2
  std::vector<float> log_popularity_;   // [items]
  std::vector<int64_t> group_offsets_;  // [groups + 1] into group_items_
  std::vector<int64_t> group_items_;    // real items ordered by group
  AliasTable group_table_;
  AliasTable popular_table_;              // over items 3..
  std::vector<AliasTable> group_tables_;  // per group, over its items
};

// Normalises a taste-sized vector in place (leaves a zero vector alone).
void normalize_taste(float* vector);

}  // namespace slatetrain
