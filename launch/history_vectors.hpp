// The user vectors of histories that are not in the dataset (`slatetrain recommend --input`):
// each history becomes one user of a batch whose steps are its events at t = 0, 1, ... (the
// last model window's worth when the user model has a longest window, model.max_length), every
// event an input, and the user model gives the vector after all of them, as evaluation gives it
// after a user's steps before the held-out one.
#pragma once

#include <vector>

#include "core/backend.hpp"
#include "dist/sharded_embedding.hpp"
#include "launch/history_input.hpp"
#include "models/recommender_model.hpp"

namespace slatetrain {

// Collective (the item rows are looked up in the sharded table): every rank calls it the same
// number of times, with its own histories (any number, also none). Returns [n, D] on the host.
std::vector<float> history_user_vectors(RecommenderModel& model, ShardedEmbedding& embedding,
                                        Backend& backend,
                                        const std::vector<const History*>& histories);

}  // namespace slatetrain
