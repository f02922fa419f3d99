// CpuBackend: dropout with the counter-based mask of core/ops/dropout_ops.hpp.
#include "core/cpu_backend.hpp"
#include "core/error.hpp"
#include "core/random.hpp"

namespace slatetrain {

namespace {

void require_dropout(const char* op, int64_t rows, int64_t width, const DropoutMask& mask) {
  REQUIRE(rows >= 0 && width >= 0, op << ": bad sizes rows=" << rows << " width=" << width);
  REQUIRE(mask.probability >= 0.0f && mask.probability < 1.0f,
          op << ": probability " << mask.probability << " outside [0, 1)");
  REQUIRE(!mask.active() || rows == 0 || mask.row_keys != nullptr,
          op << ": probability " << mask.probability << " without row keys");
}

}  // namespace

void CpuBackend::dropout_forward(float* y, const float* x, int64_t rows, int64_t width,
                                 const DropoutMask& mask) {
  require_dropout("dropout_forward", rows, width, mask);
  if (!mask.active()) {
    if (y != x) copy_on_device(y, x, static_cast<size_t>(rows * width) * sizeof(float));
    return;
  }
  const double probability = mask.probability;
  const float keep_scale = 1.0f / (1.0f - mask.probability);
  parallel_for(rows, 4096 / (width + 1) + 1, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      // hash_mix(seed, key, e) = mix64(row_base + e): the row's part is computed once.
      const uint64_t row_base = mix64(mask.seed ^ mix64(mask.row_keys[r]));
      const float* in = x + r * width;
      float* out = y + r * width;
      for (int64_t e = 0; e < width; ++e) {
        const bool keep = to_unit_double(mix64(row_base + static_cast<uint64_t>(e))) >= probability;
        out[e] = keep ? in[e] * keep_scale : 0.0f;
      }
    }
  });
}

void CpuBackend::dropout_backward(float* dx, const float* dy, int64_t rows, int64_t width,
                                  const DropoutMask& mask) {
  // The same mask and scale applied to the gradient.
  require_dropout("dropout_backward", rows, width, mask);
  dropout_forward(dx, dy, rows, width, mask);
}

}  // namespace slatetrain
