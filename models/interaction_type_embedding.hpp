// InteractionTypeEmbedding: adds a learned vector per interaction type (0 unknown, 1 search,
// 2 rec) to each step's GRU input, so the state can tell a search click from a rec click.
#pragma once

#include <cstdint>

#include "core/backend.hpp"
#include "core/tensor.hpp"
#include "models/embedding_lookup.hpp"

namespace slatetrain {

class InteractionTypeEmbedding {
 public:
  InteractionTypeEmbedding(int64_t types, int64_t dim) : lookup_{types, dim} {}

  // shapes: x [n, D] (x += table[type]); table [types, D]; type [n] in [0, types).
  void forward(Backend& backend, float* x, const float* table, const int32_t* type, int64_t n);
  // shapes: dtable [types, D] (accumulate); dx [n, D] (the gradient of the summed input).
  void backward(Backend& backend, float* dtable, const float* dx, const int32_t* type,
                int64_t n) const {
    lookup_.backward(backend, dtable, dx, type, n);
  }

 private:
  EmbeddingLookup lookup_;
  Tensor vectors_;  // [n, D] scratch: the looked-up type vectors
};

}  // namespace slatetrain
