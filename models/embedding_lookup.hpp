// EmbeddingLookup: rows of a table picked by index (the item rows buffer, or a small learned
// table such as the interaction-type embedding); backward scatter-adds into the table's grads.
#pragma once

#include <cstdint>

#include "core/backend.hpp"

namespace slatetrain {

struct EmbeddingLookup {
  int64_t table_rows = 0;  // R
  int64_t dim = 0;         // D

  // shapes: out [n, D] (overwrite); table [R, D]; index [n] in [-1, R), -1 gives a zero row.
  void forward(Backend& backend, float* out, const float* table, const int32_t* index,
               int64_t n) const {
    backend.embedding_forward(out, table, index, n, dim, table_rows);
  }
  // shapes: dtable [R, D] (accumulate); dout [n, D]; index [n] (-1 skipped).
  void backward(Backend& backend, float* dtable, const float* dout, const int32_t* index,
                int64_t n) const {
    backend.embedding_backward(dtable, dout, index, n, dim, table_rows);
  }
};

}  // namespace slatetrain
