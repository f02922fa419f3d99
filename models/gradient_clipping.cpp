#include "models/gradient_clipping.hpp"

#include <cmath>

namespace slatetrain {

double gradient_norm(Backend& backend, const std::vector<GradientSpan>& spans) {
  double sum_of_squares = 0.0;
  for (const GradientSpan& span : spans)
    sum_of_squares += backend.squared_norm(span.data, span.count);
  return std::sqrt(sum_of_squares);
}

double clip_gradient_norm(Backend& backend, const std::vector<GradientSpan>& spans,
                          double max_norm) {
  const double norm = gradient_norm(backend, spans);
  if (max_norm > 0.0 && norm > max_norm) {
    const float factor = static_cast<float>(max_norm / norm);
    for (const GradientSpan& span : spans) backend.scale(span.data, span.count, factor);
  }
  return norm;
}

}  // namespace slatetrain
