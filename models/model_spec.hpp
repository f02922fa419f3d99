// What the factories need to build a model (models/user_model_factory.hpp,
// models/objective_factory.hpp): the configuration's model and objective sections, filled in
// by the program (launch/) from its configuration, and the dataset's facts from its manifest.
#pragma once

#include <cstdint>
#include <string>

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
  std::string name;               // for messages (the data path)
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
  double attention_dropout = 0.0;
  int max_length = 0;  // longest window T; 0: the dataset's max_steps
  double layer_norm_epsilon = 1e-5;
};

// `objective.*` keys.
struct ObjectiveSpec {
  std::string kind = "slate";  // slate | sampled_softmax
  int negatives = 64;          // sampled_softmax
};

}  // namespace slatetrain
