// `slateconvert synth`: writes a dataset in exactly the published FINN.no format (data.npz,
// itemattr.npz, ind2val.json) from the planted model of data/generator_world.hpp, plus
// truth.json (data/truth_evaluation.hpp) and generator.json (the options and counts).
// Streams users in blocks: memory stays bounded at the full 2.28M x 1.31M size.
#pragma once

#include <cstdint>
#include <string>

#include "data/generator_options.hpp"
#include "data/generator_user.hpp"

namespace slatetrain {

struct GeneratorReport {
  int64_t users = 0;
  int64_t real_steps = 0;  // steps with click != 0
  int64_t no_click_steps = 0;
  int64_t recommendation_steps = 0;
  int64_t slate_length_sum = 0;
  AnomalyCounts anomalies;
  double seconds = 0;
  double oracle_seconds = 0;  // of those, truth.json's oracle
};

// Writes the dataset into output_dir, built under a temporary name beside it and renamed at
// the end; an existing output_dir is an error unless `force` (then it is replaced).
GeneratorReport generate_finn_dataset(const GeneratorOptions& options,
                                      const std::string& output_dir, bool force);

}  // namespace slatetrain
