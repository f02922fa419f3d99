// CpuBackend: layer norm over the last dimension. Rows are independent and split over the
// pool; the row statistics are summed in double. The parameter gradients are column sums,
// split by columns over the pool (like bias_backward) so that they do not depend on the
// thread count.
#include <cmath>

#include "core/cpu_backend.hpp"
#include "core/error.hpp"

namespace slatetrain {

namespace {

// Rows per chunk of the pool: about 4096 floats of work each.
int64_t row_grain(int64_t dim) {
  return 4096 / (dim + 1) + 1;
}

void require_layer_norm_sizes(const char* op, int64_t rows, int64_t dim) {
  REQUIRE(rows >= 0 && dim > 0, op << ": bad sizes rows=" << rows << " dim=" << dim);
}

}  // namespace

void CpuBackend::layer_norm_forward(float* out, float* mean, float* rstd, const float* x,
                                    const float* weight, const float* bias, int64_t rows,
                                    int64_t dim, float epsilon) {
  require_layer_norm_sizes("layer_norm_forward", rows, dim);
  REQUIRE(epsilon >= 0.0f, "layer_norm_forward: epsilon " << epsilon << " < 0");
  parallel_for(rows, row_grain(dim), [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      const float* row = x + r * dim;
      double sum = 0.0;
      for (int64_t c = 0; c < dim; ++c) sum += row[c];
      const double row_mean = sum / static_cast<double>(dim);
      double squares = 0.0;
      for (int64_t c = 0; c < dim; ++c) {
        const double centred = row[c] - row_mean;
        squares += centred * centred;
      }
      const double variance = squares / static_cast<double>(dim);
      const float row_rstd = static_cast<float>(1.0 / std::sqrt(variance + epsilon));
      const float m = static_cast<float>(row_mean);
      mean[r] = m;
      rstd[r] = row_rstd;
      float* y = out + r * dim;
      for (int64_t c = 0; c < dim; ++c) y[c] = (row[c] - m) * row_rstd * weight[c] + bias[c];
    }
  });
}

void CpuBackend::layer_norm_backward(float* dx, float* dweight, float* dbias, const float* dout,
                                     const float* x, const float* weight, const float* mean,
                                     const float* rstd, int64_t rows, int64_t dim) {
  require_layer_norm_sizes("layer_norm_backward", rows, dim);
  // With xhat = (x - mean) rstd and g = weight * dout:
  //   dx = rstd (g - mean_c(g) - xhat mean_c(g xhat)).
  if (dx) {
    parallel_for(rows, row_grain(dim), [&](int64_t begin, int64_t end) {
      for (int64_t r = begin; r < end; ++r) {
        const float* row = x + r * dim;
        const float* grad = dout + r * dim;
        const float m = mean[r], s = rstd[r];
        double sum_g = 0.0, sum_g_xhat = 0.0;
        for (int64_t c = 0; c < dim; ++c) {
          const double g = static_cast<double>(weight[c]) * grad[c];
          sum_g += g;
          sum_g_xhat += g * ((row[c] - m) * s);
        }
        const float mean_g = static_cast<float>(sum_g / static_cast<double>(dim));
        const float mean_g_xhat = static_cast<float>(sum_g_xhat / static_cast<double>(dim));
        float* out = dx + r * dim;
        for (int64_t c = 0; c < dim; ++c) {
          const float xhat = (row[c] - m) * s;
          out[c] = s * (weight[c] * grad[c] - mean_g - xhat * mean_g_xhat);
        }
      }
    });
  }
  // dweight[c] += sum_r dout[r, c] xhat[r, c];  dbias[c] += sum_r dout[r, c].
  if (dweight || dbias) {
    parallel_for_columns(dim, [&](int64_t begin, int64_t end) {
      for (int64_t r = 0; r < rows; ++r) {
        const float* row = x + r * dim;
        const float* grad = dout + r * dim;
        const float m = mean[r], s = rstd[r];
        for (int64_t c = begin; c < end; ++c) {
          if (dweight) dweight[c] += grad[c] * ((row[c] - m) * s);
          if (dbias) dbias[c] += grad[c];
        }
      }
    });
  }
}

}  // namespace slatetrain
