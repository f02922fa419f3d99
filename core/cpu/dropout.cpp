// CpuBackend: dropout with the counter-based mask of core/ops/dropout_ops.hpp.
#include "core/cpu/vector_clones.hpp"
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

// One row: out[e] = in[e] * (0 or keep_scale). row_base = mix64(seed ^ mix64(row key)), so that
// hash_mix(seed, key, e) = mix64(row_base + e) costs one mix per element. A multiply by the
// selected factor rather than a branch: which elements drop is random, so a branch would be
// mispredicted often. Everything by value, so nothing is reloaded after each store; out may be
// in (element e is read before it is written, so there is no dependence between elements).
// The hash vectorises only with 64-bit vector multiplies (AVX2 emulates them, AVX-512 has
// them), hence the clones (core/cpu/vector_clones.hpp): ~8x faster than the scalar loop.
SLATETRAIN_VECTOR_CLONES void dropout_row(float* out, const float* in, uint64_t row_base,
                                          uint64_t threshold, float keep_scale, int64_t width) {
  SLATETRAIN_IVDEP
  for (int64_t e = 0; e < width; ++e) {
    const float factor =
        mix64(row_base + static_cast<uint64_t>(e)) >= threshold ? keep_scale : 0.0f;
    out[e] = in[e] * factor;
  }
}

}  // namespace

void CpuBackend::dropout_forward(float* y, const float* x, int64_t rows, int64_t width,
                                 const DropoutMask& mask) {
  require_dropout("dropout_forward", rows, width, mask);
  if (!mask.active()) {
    if (y != x) copy_on_device(y, x, static_cast<size_t>(rows * width) * sizeof(float));
    return;
  }
  const uint64_t threshold = unit_double_threshold(mask.probability);
  const float keep_scale = 1.0f / (1.0f - mask.probability);
  parallel_for(rows, 4096 / (width + 1) + 1, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      dropout_row(y + r * width, x + r * width, mix64(mask.seed ^ mix64(mask.row_keys[r])),
                  threshold, keep_scale, width);
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
