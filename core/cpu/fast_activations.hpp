// Branch-free float exp, sigmoid and tanh for the CPU kernels' inner loops. libm's expf/tanhf are
// scalar calls that stop GCC from vectorising the GRU gate loops; these are plain arithmetic on
// float bits, so the loops vectorise, and stay within a few ulp of the correctly rounded value.
#pragma once

#include <cstdint>
#include <cstring>

namespace slatetrain {
namespace cpu {

// exp(x) by x = n ln2 + r, |r| <= ln2/2, a degree-6 polynomial for exp(r) (Cephes expf) and 2^n
// from the exponent bits. Arguments are clamped to [-87.3, 88.3], so the result is a normal
// float (exp(-87.3) ~ 1.2e-38 where libm would return a denormal, 88.3 stays below FLT_MAX).
inline float fast_exp(float x) {
  x = x < 88.3f ? x : 88.3f;
  x = x > -87.3f ? x : -87.3f;
  // Round x / ln2 to the nearest integer with the 1.5 * 2^23 trick (no libm call).
  const float shifter = 12582912.0f;
  const float n = (x * 1.44269504088896341f + shifter) - shifter;
  // r = x - n ln2 with ln2 split in two so that n * high is exact.
  const float r = (x - n * 0.693359375f) + n * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const float exp_r = p * r * r + r + 1.0f;
  const int32_t bits = (static_cast<int32_t>(n) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof(scale));
  return exp_r * scale;
}

inline float fast_sigmoid(float x) {
  return 1.0f / (1.0f + fast_exp(-x));
}

// tanh(x): for |x| < 0.625 the rational approximation x p(x^2) / q(x^2) that Eigen uses (odd and
// relative-accurate near 0, where 1 - 2/(e^2x + 1) would cancel); beyond it 1 - 2/(e^2|x| + 1),
// which is more accurate there. Both are computed and one selected, so the loop stays vectorised.
inline float fast_tanh(float x) {
  const float x2 = x * x;
  float p = -2.76076847742355e-16f;
  p = p * x2 + 2.00018790482477e-13f;
  p = p * x2 + -8.60467152213735e-11f;
  p = p * x2 + 5.12229709037114e-08f;
  p = p * x2 + 1.48572235717979e-05f;
  p = p * x2 + 6.37261928875436e-04f;
  p = p * x2 + 4.89352455891786e-03f;
  float q = 1.19825839466702e-06f;
  q = q * x2 + 1.18534705686654e-04f;
  q = q * x2 + 2.26843463243900e-03f;
  q = q * x2 + 4.89352518554385e-03f;
  const float small = x * p / q;
  const float magnitude = x < 0.0f ? -x : x;
  const float large = 1.0f - 2.0f / (fast_exp(2.0f * magnitude) + 1.0f);
  const float signed_large = x < 0.0f ? -large : large;
  return magnitude < 0.625f ? small : signed_large;
}

}  // namespace cpu
}  // namespace slatetrain
