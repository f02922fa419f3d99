// What the factories need to build a model (models/user_model_factory.hpp,
// models/objective_factory.hpp): the configuration's model and objective sections, filled in
// by the program (launch/) from its configuration, and the dataset's facts from its manifest.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "data/id_conventions.hpp"

namespace slatetrain {

// The dataset the model is trained on.
struct DatasetFacts {
  IdConventions ids;
  int64_t num_items = 0;          // ids 0 .. num_items-1 (conventions included)
  int slate_slots = 0;            // S; 0: no slates
  int64_t slate_lengths = 0;      // slate_length values 0 .. slate_lengths-1 occur (0: S + 2)
  int max_steps = 0;              // T of the batches the loader delivers
  int64_t interaction_types = 3;  // the dataset's interaction types
  // Training clicks per id [num_items] (the popularity sampler); nullptr when not counted.
  std::shared_ptr<const std::vector<int64_t>> item_counts;
  std::string name;  // for messages (the data path)
};

// `model.*` keys (docs/MODELS.md lists their meaning per kind).
struct UserModelSpec {
  std::string kind = "gru";  // gru | transformer
  int64_t dim = 32;
  int64_t hidden = 0;  // gru state; 0: dim
  bool interaction_type_embedding = true;
  bool input_every_step = false;
  // transformer
  int layers = 2;
  int heads = 2;
  int64_t ffn = 0;  // 0: 4 * dim
  double dropout = 0.2;
  double attention_dropout = 0.2;
  int max_length = 0;  // longest window T; 0: the dataset's max_steps
  double layer_norm_epsilon = 1e-5;
};

// `objective.*` keys (docs/MODELS.md).
struct ObjectiveSpec {
  std::string kind = "slate";  // slate | sampled_softmax | mixed
  // sampled_softmax
  int negatives = 64;
  std::string sampler = "uniform";  // uniform | popularity | in_batch | mixed
  double sampler_power = 0.75;      // popularity: q proportional to (clicks + 1)^power
  bool log_q_correction = true;     // subtract log(K q) from every candidate's logit
  bool remove_accidental_hits = true;
  bool shared_negatives = false;  // the same K draws for every loss step of a batch
  // mixed: slate_weight * slate + catalogue_weight * the catalogue objective
  std::string catalogue = "sampled_softmax";
  double slate_weight = 1.0;
  double catalogue_weight = 1.0;
  // slate: none (score z . E[item]) | linear (score (W z + b) . E[item], the head's own W, b)
  std::string slate_head = "none";
};

}  // namespace slatetrain
