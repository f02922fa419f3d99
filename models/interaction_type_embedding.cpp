#include "models/interaction_type_embedding.hpp"

#include "models/device_buffer.hpp"

namespace slatetrain {

void InteractionTypeEmbedding::forward(Backend& backend, float* x, const float* table,
                                       const int32_t* type, int64_t n) {
  float* vectors = ensure_buffer<float>(backend, vectors_, n * lookup_.dim);
  lookup_.forward(backend, vectors, table, type, n);
  backend.axpy(x, vectors, n * lookup_.dim, 1.0f);
}

}  // namespace slatetrain
