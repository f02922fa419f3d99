#include "launch/candidate_rescoring.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "core/tensor.hpp"

namespace slatetrain {

TopK rescore_exactly(ShardedEmbedding& embedding, const std::vector<float>& user_vectors,
                     const TopK& candidates, int k) {
  const int64_t users = candidates.users, width = candidates.k, dim = embedding.dim();
  REQUIRE(static_cast<int64_t>(user_vectors.size()) == users * dim,
          "rescore_exactly: " << user_vectors.size() << " user vector floats for " << users
                              << " users of " << dim);
  std::vector<int64_t> ids;
  for (const int32_t item : candidates.items) {
    if (item >= 0) ids.push_back(item);
  }
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  Tensor rows_device;
  embedding.lookup_unique(ids, rows_device);
  const std::vector<float> rows = ids.empty() ? std::vector<float>() : rows_device.to_host<float>();

  TopK best;
  best.users = users;
  best.k = k;
  best.scores.resize(static_cast<size_t>(users * k));
  best.items.resize(static_cast<size_t>(users * k));
  std::vector<float> scores(static_cast<size_t>(width));
  for (int64_t u = 0; u < users; ++u) {
    const float* user = user_vectors.data() + u * dim;
    const int32_t* items = candidates.items.data() + u * width;
    for (int64_t c = 0; c < width; ++c) {
      if (items[c] < 0) continue;
      const auto row = std::lower_bound(ids.begin(), ids.end(), items[c]) - ids.begin();
      const float* vector = rows.data() + row * dim;
      double sum = 0;
      for (int64_t j = 0; j < dim; ++j) sum += static_cast<double>(user[j]) * vector[j];
      scores[static_cast<size_t>(c)] = static_cast<float>(sum);
    }
    best_k(scores.data(), items, width, k, best.scores.data() + u * k, best.items.data() + u * k);
  }
  return best;
}

}  // namespace slatetrain
