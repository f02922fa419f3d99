// Internal to the CPU backend: a user row's dot products with item rows, for the slate scores and
// the sampled softmax's logits. Each sum adds the columns in order, so a score is the same
// whichever kernel computed it and however many rows a pass takes.
#pragma once

#include <cstdint>

namespace slatetrain {
namespace cpu {

inline float dot(const float* a, const float* b, int64_t dim) {
  float sum = 0.0f;
  for (int64_t c = 0; c < dim; ++c) sum += a[c] * b[c];
  return sum;
}

// Four items' dot products against one user row at once. One sum waits on its previous
// addition every column; four independent sums keep the adders busy. Each sum still adds the
// columns in order, so each score is bitwise dot()'s.
inline void dot4(const float* __restrict user, const float* __restrict row0,
                 const float* __restrict row1, const float* __restrict row2,
                 const float* __restrict row3, int64_t dim, float* __restrict out) {
  float sum0 = 0.0f, sum1 = 0.0f, sum2 = 0.0f, sum3 = 0.0f;
  for (int64_t c = 0; c < dim; ++c) {
    const float u = user[c];
    sum0 += u * row0[c];
    sum1 += u * row1[c];
    sum2 += u * row2[c];
    sum3 += u * row3[c];
  }
  out[0] = sum0;
  out[1] = sum1;
  out[2] = sum2;
  out[3] = sum3;
}

}  // namespace cpu
}  // namespace slatetrain
