// LayerNormOps: layer normalisation over the last dimension (torch.nn.LayerNorm(dim, eps)).
// One family of the Backend's ops (core/backend.hpp states the conventions every op follows);
// CpuBackend implements it as the reference, CudaBackend as its twin.
#pragma once

#include <cstddef>
#include <cstdint>

namespace slatetrain {

class LayerNormOps {
 public:
  virtual ~LayerNormOps() = default;

  // For every row r (biased variance, as PyTorch):
  //   mean[r] = sum_c x[r, c] / dim
  //   rstd[r] = 1 / sqrt(sum_c (x[r, c] - mean[r])^2 / dim + epsilon)
  //   out[r, c] = (x[r, c] - mean[r]) * rstd[r] * weight[c] + bias[c]
  // mean and rstd are saved for backward. out must not be x.
  // shapes: out [rows, dim] (overwrite); mean, rstd [rows] (overwrite); x [rows, dim];
  //         weight, bias [dim].
  virtual void layer_norm_forward(float* out, float* mean, float* rstd, const float* x,
                                  const float* weight, const float* bias, int64_t rows, int64_t dim,
                                  float epsilon) = 0;
  // dx overwrites (dx must not be dout); dweight and dbias accumulate (either may be nullptr).
  // x, weight, mean and rstd are forward's.
  // shapes: dx [rows, dim]; dweight, dbias [dim]; dout [rows, dim]; x [rows, dim];
  //         weight [dim]; mean, rstd [rows].
  virtual void layer_norm_backward(float* dx, float* dweight, float* dbias, const float* dout,
                                   const float* x, const float* weight, const float* mean,
                                   const float* rstd, int64_t rows, int64_t dim) = 0;
};

}  // namespace slatetrain
