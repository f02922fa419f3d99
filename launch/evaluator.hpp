// Full-catalogue evaluation under the FINN protocol (DESIGN.md section 5), distributed as
// DESIGN.md section 6 says: every rank takes its share of the split's users, computes their
// user vector after the first t_testsplit steps, the user vectors are shared, each rank scores
// them against its own rows of the item table (in chunks, items the user already clicked and
// ids 0-2 excluded), keeps a local top k, and the candidates are merged (dist/topk_merge).
// Nothing gathers the table. The held-out slate log-likelihood comes from the same batches.
// The popularity baseline (training clicks counted over all ranks) is ranked the same way.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/backend.hpp"
#include "data/sequence_batch.hpp"
#include "data/slate_loader.hpp"
#include "core/communicator.hpp"
#include "dist/sharded_embedding.hpp"
#include "models/gru_slate_model.hpp"

namespace slatetrain {

struct EvaluationOptions {
  std::string directory;        // converted data
  std::vector<int> ks{10, 20};  // cut-offs
  int64_t batch_users = 512;    // per rank
  int64_t max_users = 0;        // stop after this many evaluated users over all ranks (0: all)
  int t_testsplit = 5;
  bool update_every_step = false;
  int prefetch_batches = 4;
  int64_t score_budget_floats = int64_t{1} << 25;  // scores buffer size per item chunk
};

using MetricMap = std::map<std::string, double>;

class Evaluator {
 public:
  // host: MPI (host buffers) for the bookkeeping; device_communicator: collectives on the
  // backend's buffers (the top-k merge), the same MPI one on CPU, NCCL on GPU.
  Evaluator(Communicator& host, Communicator& device_communicator, Backend& backend,
            ShardedEmbedding& embedding, EvaluationOptions options);

  // The model's metrics on the phase's users (kValid or kTest): every ranking metric at every
  // cut-off, "loglik" (mean held-out slate log-likelihood per step), "users", "steps".
  MetricMap evaluate_model(GruSlateModel& model, LoaderPhase phase);

  // Counts training clicks (steps in the training phase with an item clicked) over all ranks.
  // Collective. Returns counts per item id [num_items].
  std::vector<int64_t> count_training_clicks();
  // The popularity baseline's ranking metrics on the phase's users, from click counts.
  MetricMap evaluate_popularity(const std::vector<int64_t>& click_counts, LoaderPhase phase);

 private:
  LoaderOptions loader_options(LoaderPhase phase) const;
  // A user to rank: exclusions (items clicked in the first t_testsplit steps) and targets
  // (items clicked later, one entry per click).
  struct RankedUser {
    std::vector<int64_t> excluded;
    std::vector<int64_t> later_clicks;
  };
  // Users of one batch with something to find, and their row in the batch.
  std::vector<RankedUser> users_to_rank(const SequenceBatch& batch, std::vector<int64_t>& rows) const;
  // Collective: the global top k for this rank's users (user vectors [n, D], host).
  std::vector<int64_t> rank_catalogue(const std::vector<float>& user_vectors,
                                      const std::vector<RankedUser>& users, int k);

  Communicator& host_;
  Communicator& device_communicator_;
  Backend& backend_;
  ShardedEmbedding& embedding_;
  EvaluationOptions options_;
};

}  // namespace slatetrain
