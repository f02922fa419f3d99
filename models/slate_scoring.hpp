// SlateScoring: one score per slate slot for each step (docs/MODELS.md):
//   s[i, 0] = no_click_bias[slate_length[i]]      (slot 0: the no-click option)
//   s[i, j] = user[i] . rows[slate_rows[i, j]]    (j >= 1, a real item's row)
//   s[i, j] = -inf                                (j >= 1, row -1: PAD, UNK, past the end)
#pragma once

#include <cstdint>

#include "core/backend.hpp"

namespace slatetrain {

struct SlateScoring {
  int64_t slate_slots = 0;  // S
  int64_t dim = 0;          // D
  int64_t bias_size = 0;    // L: slate lengths 0..L-1 have a no-click bias

  // shapes: scores [n, S] (overwrite); user [n, D]; rows [U, D]; slate_rows [n, S] (int32);
  //         slate_length [n] (int32, in [0, L)); no_click_bias [L].
  void forward(Backend& backend, float* scores, const float* user, const float* rows,
               const int32_t* slate_rows, const int32_t* slate_length, const float* no_click_bias,
               int64_t n, int64_t row_count) const {
    backend.slate_scores_forward(scores, user, rows, slate_rows, slate_length, no_click_bias, n,
                                 slate_slots, dim, row_count, bias_size);
  }
  // duser [n, D] overwrites; drows [U, D] and dno_click_bias [L] accumulate (nullptr: skipped).
  void backward(Backend& backend, float* duser, float* drows, float* dno_click_bias,
                const float* dscores, const float* user, const float* rows,
                const int32_t* slate_rows, const int32_t* slate_length, int64_t n,
                int64_t row_count) const {
    backend.slate_scores_backward(duser, drows, dno_click_bias, dscores, user, rows, slate_rows,
                                  slate_length, n, slate_slots, dim, row_count, bias_size);
  }
};

}  // namespace slatetrain
