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
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "core/backend.hpp"
#include "core/communicator.hpp"
#include "data/id_conventions.hpp"
#include "data/sequence_batch.hpp"
#include "data/slate_loader.hpp"
#include "dist/sharded_embedding.hpp"
#include "launch/catalogue_ranker.hpp"
#include "models/model_batch.hpp"
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

  // A user to rank: the steps seen before the first evaluated step, the exclusions (items of
  // those steps and of the user's events before the window, when exclude_seen) and the targets
  // (the items of the evaluated steps, one entry per event).
  struct RankedUser {
    int32_t steps_seen = 0;
    std::vector<int64_t> excluded;
    std::vector<int64_t> targets;
  };
  // One loader batch of a phase, ranked: the users with something to find (up to the cap),
  // their rows in `batch`, and their top k (rank_phase's k) in `top`.
  struct RankedBatch {
    const SequenceBatch* batch = nullptr;
    const ModelBatch* model_batch = nullptr;  // built with the objective rank_phase was given
    const float* rows = nullptr;              // the model batch's item rows (device)
    std::vector<RankedUser> users;
    std::vector<int64_t> batch_rows;
    std::vector<float> vectors;  // [users, D] host: the users' vectors
    TopK top;
  };
  // Collective: every user of the phase that the evaluation ranks (exactly max_users of them
  // when capped, any world size), each rank its share, batch by batch in source order; `visit`
  // sees each batch on every rank (also one with no user on this rank). `objective`, when
  // given, prepares its part of each model batch (for held-out likelihoods). `ranker` ranks
  // the items (nullptr: ranker(), the exact one).
  void rank_phase(RecommenderModel& model, LoaderPhase phase, int k, const Objective* objective,
                  const std::string& progress_label,
                  const std::function<void(const RankedBatch&)>& visit,
                  ItemRanker* ranker = nullptr);
  // The ranker of the whole catalogue (exact, distributed) that evaluation uses.
  ItemRanker& ranker() { return *ranker_; }

 private:
  LoaderOptions loader_options(LoaderPhase phase) const;
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

  Communicator& host_;
  Communicator& device_communicator_;
  Backend& backend_;
  ShardedEmbedding& embedding_;
  EvaluationOptions options_;
  std::unique_ptr<CatalogueRanker> ranker_;
  std::set<LoaderPhase> warned_empty_;  // the splits warned about
};

}  // namespace slatetrain
