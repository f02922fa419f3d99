// Sums and maxima across the 32 lanes of a warp (every lane gets the result), for the kernels
// that give one warp to each row.
#pragma once

namespace slatetrain {
namespace cuda {

__device__ inline float warp_reduce_sum(float value) {
  for (int offset = 16; offset > 0; offset /= 2)
    value += __shfl_xor_sync(0xffffffffu, value, offset);
  return value;
}

__device__ inline float warp_reduce_max(float value) {
  for (int offset = 16; offset > 0; offset /= 2)
    value = fmaxf(value, __shfl_xor_sync(0xffffffffu, value, offset));
  return value;
}

}  // namespace cuda
}  // namespace slatetrain
