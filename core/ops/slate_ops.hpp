// SlateOps: scores of the items of a slate plus the no-click option (the slate objective).
// One family of the Backend's ops (core/backend.hpp states the conventions every op follows);
// CpuBackend implements it as the reference, CudaBackend as its twin.
#pragma once

#include <cstddef>
#include <cstdint>

namespace slatetrain {

class SlateOps {
 public:
  virtual ~SlateOps() = default;

  // One row per step (n = B*T). Position 0 is the no-click option, scored by the bias of the
  // slate length; positions j >= 1 hold a row of `rows` or -1 (masked: PAD, UNK, past the end).
  //   scores[i, 0] = no_click_bias[slate_length[i]]
  //   scores[i, j] = user[i] . rows[slate_index[i, j]]   (j >= 1, slate_index >= 0)
  //   scores[i, j] = -inf                                 (j >= 1, slate_index == -1)
  // slate_index[i, 0] is ignored. slate_length[i] must be in [0, bias_size).
  // shapes: scores [n, slate]; user [n, dim]; rows [row_count, dim];
  //         slate_index [n, slate] (int32); slate_length [n] (int32); no_click_bias [bias_size].
  virtual void slate_scores_forward(float* scores, const float* user, const float* rows,
                                    const int32_t* slate_index, const int32_t* slate_length,
                                    const float* no_click_bias, int64_t n, int64_t slate,
                                    int64_t dim, int64_t row_count, int64_t bias_size) = 0;
  // duser overwrites; drows and dno_click_bias accumulate (any may be nullptr). Masked
  // positions contribute nothing whatever dscores holds there.
  // shapes: as forward; dscores [n, slate].
  virtual void slate_scores_backward(float* duser, float* drows, float* dno_click_bias,
                                     const float* dscores, const float* user, const float* rows,
                                     const int32_t* slate_index, const int32_t* slate_length,
                                     int64_t n, int64_t slate, int64_t dim, int64_t row_count,
                                     int64_t bias_size) = 0;
};

}  // namespace slatetrain
