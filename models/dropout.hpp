// Dropout with the counter-based mask (core/ops/dropout_ops.hpp): element e of row r is kept
// iff to_unit_double(hash_mix(seed, row_keys[r], e)) >= probability. The caller's row keys
// (one per user and step) make the mask independent of the batch composition and the world
// size; the mask is recomputed in backward, so nothing is stored.
#pragma once

#include <cstdint>

#include "core/backend.hpp"

namespace slatetrain {

struct Dropout {
  float probability = 0.0f;  // in [0, 1)

  // The mask of one forward/backward pair: the identity (inactive) outside training or at
  // probability 0. row_keys [rows] is on the backend's device.
  DropoutMask mask(bool training, uint64_t seed, const uint64_t* row_keys) const {
    DropoutMask out;
    if (training && probability > 0.0f) out = DropoutMask{probability, seed, row_keys};
    return out;
  }
  // shapes: y, x [rows, width] (y may be x).
  void forward(Backend& backend, float* y, const float* x, int64_t rows, int64_t width,
               const DropoutMask& mask) const {
    backend.dropout_forward(y, x, rows, width, mask);
  }
  // shapes: dx, dy [rows, width] (dx overwrites; may be dy); the same mask as forward's.
  void backward(Backend& backend, float* dx, const float* dy, int64_t rows, int64_t width,
                const DropoutMask& mask) const {
    backend.dropout_backward(dx, dy, rows, width, mask);
  }
};

}  // namespace slatetrain
