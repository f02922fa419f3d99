// Ranking the whole catalogue for user vectors, the step shared by evaluation
// (launch/evaluator) and `slatetrain recommend` (launch/recommend_command): given user vectors
// and, per user, the items to leave out, the best k items by inner product with their scores.
//
// ItemRanker is the seam where the scoring is done: CatalogueRanker is the exact one,
// distributed over the sharded item table (every rank scores the shared user vectors against its
// own rows in chunks, keeps a local top k, dist/topk_merge merges; nothing gathers the table).
// Another ranker (an approximate index over the item vectors) implements the same interface.
#pragma once

#include <cstdint>
#include <vector>

#include "core/backend.hpp"
#include "core/communicator.hpp"
#include "data/id_conventions.hpp"
#include "dist/sharded_embedding.hpp"
#include "dist/topk_merge.hpp"

namespace slatetrain {

class ItemRanker {
 public:
  virtual ~ItemRanker() = default;
  // Collective: every rank calls it with its own users (any number, also none).
  // user_vectors [n, D] host; excluded[u]: global item ids that user u must not get (sorted,
  // distinct; ids below the first item are never ranked). Returns this rank's n users' top k
  // (TopK: best first, ties to the lower item id; -1 / -inf where the catalogue runs out).
  virtual TopK rank(const std::vector<float>& user_vectors,
                    const std::vector<std::vector<int64_t>>& excluded, int k) = 0;
};

class CatalogueRanker : public ItemRanker {
 public:
  // host: MPI over host buffers (the users and exclusions are allgathered there);
  // device_communicator: the top-k merge on the backend's buffers.
  // score_budget_floats: the scores buffer per item chunk (users x chunk rows).
  CatalogueRanker(Communicator& host, Communicator& device_communicator, Backend& backend,
                  ShardedEmbedding& embedding, IdConventions ids,
                  int64_t score_budget_floats = int64_t{1} << 25);

  TopK rank(const std::vector<float>& user_vectors,
            const std::vector<std::vector<int64_t>>& excluded, int k) override;

 private:
  Communicator& host_;
  Communicator& device_communicator_;
  Backend& backend_;
  ShardedEmbedding& embedding_;
  IdConventions ids_;
  int64_t score_budget_floats_;
};

}  // namespace slatetrain
