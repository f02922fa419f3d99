// Scores that do not depend on how the item table is sharded. A BLAS product's rounding depends
// on the shapes it is given (how many rows a rank owns, the chunk), so the same user and item
// can score a last bit apart on different numbers of ranks. `slatetrain recommend` therefore
// asks its ItemRanker for a few more candidates than it prints and scores each again as the
// float of a double-precision dot product in dimension order, then keeps the best k by that
// score (ties to the lower id): the printed list and scores are the same on any world size
// whenever the user vectors are (docs/USING_A_MODEL.md).
#pragma once

#include <vector>

#include "dist/sharded_embedding.hpp"
#include "dist/topk_merge.hpp"

namespace slatetrain {

// Candidates beyond k that recommend asks the ranker for.
inline constexpr int kRescoringMargin = 8;

// Collective (the candidates' rows are looked up in the sharded table; every rank calls it
// equally often, with its own users). user_vectors [n, D] host; candidates: n users' ranked
// candidates (TopK, -1 for none). Returns their best k by the exact score.
TopK rescore_exactly(ShardedEmbedding& embedding, const std::vector<float>& user_vectors,
                     const TopK& candidates, int k);

}  // namespace slatetrain
