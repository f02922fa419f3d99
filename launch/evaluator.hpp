// Full-catalogue evaluation (docs/METRICS.md), distributed (docs/ARCHITECTURE.md): every rank
// takes its share of the split's users; a user's evaluated steps are the batch's step_mask
// steps (which ones is the dataset's protocol, applied by the loader); the user vector after
// the steps before the first evaluated one ranks the whole catalogue for the items of the
// evaluated steps (the targets). The user vectors are shared, each rank scores them against
// its own rows of the item table (in chunks; the user's earlier items and the ids below the
// first item excluded), keeps a local top k, and the candidates are merged (dist/topk_merge).
// Nothing gathers the table. An objective whose loss is a held-out log-likelihood reports it
// from the same batches. The popularity baseline (training clicks counted over all ranks) is
// ranked the same way. Nothing here knows a model, an objective or a dataset by name.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/backend.hpp"
#include "core/communicator.hpp"
#include "data/id_conventions.hpp"
#include "data/sequence_batch.hpp"
#include "data/slate_loader.hpp"
#include "dist/sharded_embedding.hpp"
#include "models/recommender_model.hpp"

namespace slatetrain {

struct EvaluationOptions {
  std::string directory;        // converted data
  std::vector<int> ks{10, 20};  // cut-offs
  int64_t batch_users = 512;    // per rank
  int64_t max_users = 0;        // evaluate exactly min(this, the split's) users, any world (0: all)
  IdConventions ids;            // the dataset's (manifest)
  bool exclude_seen = true;     // leave the user's earlier items out of the ranking
  int window_steps = 0;         // the loader's window (0: the dataset's max_steps)
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
  // cut-off, "users"; and, when the objective's loss is a log-likelihood, its mean per held-out
  // step under the objective's name (e.g. "loglik") and "steps". A split with no user to rank
  // gives NaN metrics (JSON null; never 0.0, a score) and rank 0 warns once per split.
  MetricMap evaluate_model(RecommenderModel& model, LoaderPhase phase);

  // Counts training clicks (steps in the training phase with an item clicked) over all ranks.
  // Collective. Returns counts per item id [num_items].
  std::vector<int64_t> count_training_clicks();
  // The popularity baseline's ranking metrics on the phase's users, from click counts.
  MetricMap evaluate_popularity(const std::vector<int64_t>& click_counts, LoaderPhase phase);

 private:
  LoaderOptions loader_options(LoaderPhase phase) const;
  // A user to rank: the steps seen before the first evaluated step, the exclusions (items of
  // those steps and of the user's events before the window) and the targets (the items of the
  // evaluated steps, one entry per event).
  struct RankedUser {
    int32_t steps_seen = 0;
    std::vector<int64_t> excluded;
    std::vector<int64_t> targets;
  };
  // Users of one batch with something to find, and their row in the batch.
  std::vector<RankedUser> users_to_rank(const SequenceBatch& batch,
                                        std::vector<int64_t>& rows) const;
  // Collective: drops the users past options_.max_users (counting `evaluated` before this
  // batch, ranks in rank order), so that exactly the cap is evaluated. Returns the users kept
  // over all ranks.
  int64_t keep_within_cap(std::vector<RankedUser>& users, std::vector<int64_t>& rows,
                          int64_t evaluated) const;
  // Rank 0 prints one warning per split that had no user to rank.
  void warn_if_empty(const MetricMap& metrics, LoaderPhase phase);
  // Collective: the global top k for this rank's users (user vectors [n, D], host).
  std::vector<int64_t> rank_catalogue(const std::vector<float>& user_vectors,
                                      const std::vector<RankedUser>& users, int k);

  Communicator& host_;
  Communicator& device_communicator_;
  Backend& backend_;
  ShardedEmbedding& embedding_;
  EvaluationOptions options_;
  std::set<LoaderPhase> warned_empty_;  // the splits warned about
};

}  // namespace slatetrain
