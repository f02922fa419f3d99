// DropoutOps: dropout whose mask comes from the counter-based hash (core/random.hpp), so that
// which elements are dropped depends only on the seed and on keys the caller gives per row
// (e.g. derived from a user's row in the dataset and the step), never on the batch
// composition, the thread count or the world size.
// One family of the Backend's ops (core/backend.hpp states the conventions every op follows);
// CpuBackend implements it as the reference, CudaBackend as its twin.
#pragma once

#include <cstddef>
#include <cstdint>

namespace slatetrain {

// Which elements a dropout keeps: element e of row r is kept iff
//   to_unit_double(hash_mix(seed, row_keys[r], e)) >= probability   (compared in double),
// and kept values are scaled by 1 / (1 - probability) (computed in float). probability = 0 is
// the identity (row_keys may then be nullptr); probability must be in [0, 1).
struct DropoutMask {
  float probability = 0.0f;
  uint64_t seed = 0;
  const uint64_t* row_keys = nullptr;  // [rows], on the backend's device

  bool active() const { return probability > 0.0f; }
};

class DropoutOps {
 public:
  virtual ~DropoutOps() = default;

  // y = x * keep / (1 - p) with keep as DropoutMask says (y may be x: in place).
  // shapes: y, x [rows, width]; mask.row_keys [rows] (uint64).
  virtual void dropout_forward(float* y, const float* x, int64_t rows, int64_t width,
                               const DropoutMask& mask) = 0;
  // dx = dy * keep / (1 - p) (overwrite; dx may be dy). The mask is recomputed from the seed
  // and row keys, so nothing is stored between forward and backward.
  // shapes: dx, dy [rows, width]; mask.row_keys [rows].
  virtual void dropout_backward(float* dx, const float* dy, int64_t rows, int64_t width,
                                const DropoutMask& mask) = 0;
};

}  // namespace slatetrain
