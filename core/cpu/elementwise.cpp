// CpuBackend: elementwise ops and the squared norm.
#include <cmath>
#include <vector>

#include "core/cpu_backend.hpp"

namespace slatetrain {

namespace {
constexpr int64_t kElementGrain = 1 << 14;
}  // namespace

void CpuBackend::axpy(float* y, const float* x, int64_t n, float alpha) {
  parallel_for(n, kElementGrain, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) y[i] += alpha * x[i];
  });
}

void CpuBackend::scale(float* x, int64_t n, float factor) {
  parallel_for(n, kElementGrain, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) x[i] *= factor;
  });
}

void CpuBackend::sigmoid_forward(float* y, const float* x, int64_t n) {
  parallel_for(n, kElementGrain, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) y[i] = 1.0f / (1.0f + std::exp(-x[i]));
  });
}

void CpuBackend::sigmoid_backward(float* dx, const float* dy, const float* y, int64_t n) {
  parallel_for(n, kElementGrain, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) dx[i] = dy[i] * y[i] * (1.0f - y[i]);
  });
}

void CpuBackend::tanh_forward(float* y, const float* x, int64_t n) {
  parallel_for(n, kElementGrain, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) y[i] = std::tanh(x[i]);
  });
}

void CpuBackend::tanh_backward(float* dx, const float* dy, const float* y, int64_t n) {
  parallel_for(n, kElementGrain, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) dx[i] = dy[i] * (1.0f - y[i] * y[i]);
  });
}

double CpuBackend::squared_norm(const float* x, int64_t n) {
  // Fixed chunks summed in order: the same result for any thread count.
  const int64_t chunk = kElementGrain;
  const int64_t chunks = (n + chunk - 1) / chunk;
  std::vector<double> partial(static_cast<size_t>(chunks), 0.0);
  parallel_for(chunks, 1, [&](int64_t begin, int64_t end) {
    for (int64_t c = begin; c < end; ++c) {
      double sum = 0.0;
      const int64_t stop = std::min(n, (c + 1) * chunk);
      for (int64_t i = c * chunk; i < stop; ++i) sum += static_cast<double>(x[i]) * x[i];
      partial[static_cast<size_t>(c)] = sum;
    }
  });
  double total = 0.0;
  for (double part : partial) total += part;
  return total;
}

}  // namespace slatetrain
